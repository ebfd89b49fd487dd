import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DistillError } from './errors.js';

/** One line of a metrics log: a JSON object; training lines carry `step`. */
export type MetricsRecord = Readonly<Record<string, unknown>>;

/** Options of {@link MetricsLog.open}. */
export interface MetricsLogOptions {
  /**
   * Drop existing lines whose `step` is greater than this before appending (a resumed run
   * rewrites the steps after its checkpoint, so they would otherwise appear twice). The file
   * is rewritten atomically. Lines that do not parse (a line cut by a kill) are dropped too.
   */
  readonly truncateAfterStep?: number;
}

/**
 * Reads a JSONL metrics log; lines that are not JSON objects (a torn last line) are skipped.
 * A missing file gives `[]`.
 */
export async function readMetricsLog(path: string): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DistillError(`Cannot read metrics log ${path}: ${(cause as Error).message}.`, { cause });
  }
  const out: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(value as MetricsRecord);
    } catch {
      // A line cut short by a crash: ignore it.
    }
  }
  return out;
}

/**
 * An append-only JSONL log: one JSON object per line, each handed to the OS as soon as it is
 * appended (no buffering in the process), so a killed run keeps every finished line. Appends
 * are serialized in call order. Node only.
 */
export class MetricsLog {
  /** The file. */
  readonly path: string;
  #handle: FileHandle | null;
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /**
   * Opens (creating folders and the file) for appending.
   * @throws {@link DistillError} if the file cannot be opened.
   */
  static async open(path: string, options: MetricsLogOptions = {}): Promise<MetricsLog> {
    try {
      await mkdir(dirname(path), { recursive: true });
      if (options.truncateAfterStep !== undefined) {
        const limit = options.truncateAfterStep;
        const kept = (await readMetricsLog(path)).filter((r) => typeof r['step'] !== 'number' || (r['step'] as number) <= limit);
        const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
        await writeFile(temp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''), { encoding: 'utf8', flush: true });
        await rename(temp, path);
      }
      return new MetricsLog(path, await open(path, 'a'));
    } catch (cause) {
      if (cause instanceof DistillError) throw cause;
      throw new DistillError(`Cannot open metrics log ${path}: ${(cause as Error).message}; check the folder is writable.`, { cause });
    }
  }

  /**
   * Appends one record as a line. Non-finite numbers are written as strings (`"NaN"`,
   * `"Infinity"`) so the line stays valid JSON.
   * @throws {@link DistillError} if the log is closed or the write fails.
   */
  append(record: MetricsRecord): Promise<void> {
    const line = `${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n`;
    const run = this.#queue.then(async () => {
      if (this.#handle === null) throw new DistillError(`Metrics log ${this.path} is closed; open it again to append.`);
      await this.#handle.write(line);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Waits for pending appends and closes the file. Idempotent. */
  async close(): Promise<void> {
    await this.#queue;
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }
}
