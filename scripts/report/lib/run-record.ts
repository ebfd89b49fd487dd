import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists, listFiles } from '../../data/lib/files.js';
import { ReportError } from './errors.js';
import type { YonosJob } from './jobs.js';

/** The file in each YONOS output folder that says how and from what its images were made. */
export const RUN_FILE = 'run.json';

/** Contents of {@link RUN_FILE}. */
export interface RunRecord {
  /** `partial` while images are being written; `complete` once every image is. */
  readonly status: 'partial' | 'complete';
  readonly model: string;
  readonly method: string;
  /** Absolute pipeline folder. */
  readonly pipeline: string;
  /** {@link pipelineFingerprint} of the pipeline folder, so outputs of an older model are redone. */
  readonly fingerprint: string;
  readonly scale: number;
  readonly steps: number;
  readonly seed: number;
  /** Eval image names this folder is for. */
  readonly images: readonly string[];
  /** Active tfjs backend. */
  readonly backend: string;
  /** ISO date of the first image. */
  readonly started: string;
  /** ISO date of the last image (complete records). */
  readonly finished?: string;
  /** Wall time per image while generating (informational: the timing phase measures speed). */
  readonly perImageMs: Readonly<Record<string, number>>;
}

/**
 * SHA-256 over every file of a pipeline folder (relative paths and bytes, in code-point
 * order): changes whenever a model is retrained or re-saved.
 * @throws {@link ReportError} if the folder has no `model_index.json`.
 */
export async function pipelineFingerprint(dir: string): Promise<string> {
  if (!exists(join(dir, 'model_index.json'))) {
    throw new ReportError(`${dir} is not a YONOS pipeline folder (no model_index.json): train the model first, or fix its path in the report config.`);
  }
  const hash = createHash('sha256');
  for (const rel of await listFiles(dir, ['.json', '.safetensors'])) {
    hash.update(rel + '\0');
    hash.update(await readFile(join(dir, rel)));
  }
  return hash.digest('hex');
}

/** The run record of an output folder, or `undefined` if it has none (or an unreadable one). */
export async function readRunRecord(outDir: string): Promise<RunRecord | undefined> {
  const path = join(outDir, RUN_FILE);
  if (!exists(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/** Writes a run record atomically (a half-written record would look complete-but-corrupt). */
export async function writeRunRecord(outDir: string, record: RunRecord): Promise<void> {
  const path = join(outDir, RUN_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(record, null, 1) + '\n');
  await rename(`${path}.tmp`, path);
}

/** True if `record` was made for `job` from the model with `fingerprint` and covers `names`. */
export function recordMatches(record: RunRecord | undefined, job: YonosJob, fingerprint: string, names: readonly string[]): boolean {
  return (
    record !== undefined &&
    record.fingerprint === fingerprint &&
    record.steps === job.steps &&
    record.seed === job.seed &&
    record.scale === job.scale &&
    record.images.join('\n') === names.join('\n')
  );
}

/** True if an output folder holds a complete record and every image it names. */
export function isComplete(outDir: string, record: RunRecord | undefined, names: readonly string[]): boolean {
  return record?.status === 'complete' && names.every((n) => exists(join(outDir, `${n}.png`)));
}
