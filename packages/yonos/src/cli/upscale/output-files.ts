import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { YonosError } from '@yonos/core';
import { displayPath } from './display-path.js';

/**
 * The file operations `yonos upscale` writes its outputs with. The command uses
 * {@link nodeOutputFiles}; tests pass their own to simulate a full disk or a folder that
 * cannot be written.
 */
export interface OutputFiles {
  mkdir(path: string, options: { readonly recursive: true }): Promise<unknown>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { readonly force: true }): Promise<void>;
  stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean }>;
}

/** {@link OutputFiles} on `node:fs/promises`. */
export const nodeOutputFiles: OutputFiles = { mkdir, writeFile, rename, rm, stat };

/**
 * The output folder (`--out`) cannot be used: it cannot be created (a file is in the way, or
 * no permission), or it cannot be written. Raised before the model loads; the message says
 * what to change.
 */
export class OutputFolderError extends YonosError {}

/**
 * An output image could not be written. {@link OutputWriteError.stopsBatch} is true when the
 * cause would fail every following image as well (disk full, no permission, read-only file
 * system), so the batch should stop rather than go on.
 */
export class OutputWriteError extends YonosError {
  /** The output that was not written. */
  readonly path: string;
  /** The system error code (`ENOSPC`, `EACCES`...), when there is one. */
  readonly code: string | undefined;
  /** Whether the same cause would fail every following output too. */
  readonly stopsBatch: boolean;
  /** What went wrong, in words: `the disk is full (ENOSPC)`. */
  readonly reason: string;

  /** @param path The output that was not written. @param cause The file system's error. */
  constructor(path: string, cause: unknown) {
    const problem = describeWriteProblem(cause);
    super(`Cannot write '${path}': ${problem.reason}.`, { cause });
    this.path = path;
    this.code = errorCode(cause);
    this.stopsBatch = problem.stopsBatch;
    this.reason = problem.reason;
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Codes after which no output can be written to the folder, and what they mean. */
const BATCH_STOPPERS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
};

/**
 * Words for a failed write: `the disk is full (ENOSPC)`, and whether the same cause would
 * fail the next write as well.
 */
export function describeWriteProblem(err: unknown): { readonly reason: string; readonly stopsBatch: boolean } {
  const code = errorCode(err);
  const known = code !== undefined ? BATCH_STOPPERS[code] : undefined;
  if (known !== undefined) return { reason: `${known} (${code})`, stopsBatch: true };
  const message = err instanceof Error ? err.message : String(err);
  return { reason: code !== undefined && !message.includes(code) ? `${message} (${code})` : message, stopsBatch: false };
}

/** The nearest of `dir` and its parents that exists but is not a folder, if any. */
async function fileInTheWay(dir: string, files: OutputFiles): Promise<string | undefined> {
  for (let path = dir; ; path = dirname(path)) {
    try {
      const info = await files.stat(path);
      return info.isDirectory() ? undefined : path;
    } catch {
      // Missing, or under a file (ENOTDIR): look at the parent.
    }
    if (dirname(path) === path) return undefined;
  }
}

/**
 * Creates the output folder if needed and checks that a file can be written in it, before
 * anything expensive runs: a probe file is written and removed.
 * @param outDir `--out` as the user gave it (messages quote it).
 * @throws {@link OutputFolderError} when a file is in the way (`--out a.png/x`), the folder
 *   cannot be created, or it cannot be written (no permission, read-only, disk full).
 */
export async function prepareOutputFolder(outDir: string, files: OutputFiles = nodeOutputFiles): Promise<void> {
  const dir = resolve(outDir);
  const blocker = await fileInTheWay(dir, files);
  if (blocker !== undefined) {
    const what = blocker === dir ? 'it is a file' : `'${displayPath(blocker)}' is a file, not a folder`;
    throw new OutputFolderError(`The output folder '${outDir}' cannot be created: ${what}. Pass an --out that is a folder or a new path.`);
  }
  try {
    await files.mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new OutputFolderError(`The output folder '${outDir}' cannot be created: ${describeWriteProblem(cause).reason}. Pass an --out in a folder you can write to.`, { cause });
  }
  const probe = join(dir, `.yonos-write-check-${process.pid}`);
  try {
    await files.writeFile(probe, new Uint8Array(1));
  } catch (cause) {
    const problem = describeWriteProblem(cause);
    const fix = errorCode(cause) === 'ENOSPC' || errorCode(cause) === 'EDQUOT' ? 'free some space, or pass an --out on another disk' : 'pass an --out you can write to, or change its permissions';
    throw new OutputFolderError(`Cannot write in the output folder '${outDir}': ${problem.reason}. ${fix[0]!.toUpperCase()}${fix.slice(1)}.`, { cause });
  } finally {
    await files.rm(probe, { force: true }).catch(() => undefined);
  }
}

/**
 * The temporary file {@link writeAtomically} writes before the rename: `<path>.<pid>.<random>.tmp`.
 * The random part keeps two writers of one output apart even when their process ids are equal
 * (queue workers on several machines writing to shared storage, each its container's process 1).
 */
export function temporaryPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Whether `name` is a temporary file {@link temporaryPathFor} makes for an output named `outputName` (in the same folder). */
export function isTemporaryFileOf(name: string, outputName: string): boolean {
  return name.startsWith(`${outputName}.`) && /^\d+\.[0-9a-f]{8}\.tmp$/.test(name.slice(outputName.length + 1));
}

/**
 * Writes `bytes` to `path` through a temporary file and a rename, so an interrupted or failed
 * write never leaves a truncated image, and an existing file stays whole until its replacement
 * is complete.
 * @throws {@link OutputWriteError} (the temporary file removed).
 */
export async function writeAtomically(path: string, bytes: Uint8Array, files: OutputFiles = nodeOutputFiles): Promise<void> {
  const temp = temporaryPathFor(path);
  try {
    await files.writeFile(temp, bytes);
    await files.rename(temp, path);
  } catch (cause) {
    await files.rm(temp, { force: true }).catch(() => undefined);
    throw new OutputWriteError(path, cause);
  }
}

/**
 * A batch stopped before its end because no output could be written any more (disk full, no
 * permission). The images written before are complete; the message names the ones that are
 * not, why, and how to finish.
 */
export class BatchStoppedError extends YonosError {}
