import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { ImageFormat, ImageInfo } from '@yonos/core/node';
import { CliUsageError } from '../errors.js';
import { canonicalPath } from './real-path.js';

/** Formats `--format` accepts. */
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const satisfies readonly ImageFormat[];

const FORMAT_BY_EXTENSION: Readonly<Record<string, ImageFormat>> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const EXTENSION_BY_FORMAT: Readonly<Record<ImageFormat, string>> = { png: '.png', jpeg: '.jpg', webp: '.webp' };

/** One image of a `yonos upscale` run: where it is read from and written to. */
export interface UpscaleJob {
  /** Absolute path of the input. */
  readonly input: string;
  /** Absolute path of the output, `<out>/<name>_x<scale>.<ext>`. */
  readonly output: string;
  readonly format: ImageFormat;
  /** Set when this image must not be written (it would overwrite an input or another output): why, and what to do. */
  readonly problem?: string;
  /** The output exists already and `--overwrite` was not given: it is kept, and the image is not upscaled again. */
  readonly kept?: true;
  /** The output exists already and `--overwrite` replaces it. */
  readonly replaces?: true;
  /** The input's header (size, frames), when it was read before the batch (see `measureJobs`). */
  readonly info?: ImageInfo;
}

/** Settings of {@link planOutputs}. */
export interface OutputSettings {
  /** The output folder (`--out`). */
  readonly outDir: string;
  /** The upscaling factor, part of every output name. */
  readonly scale: number;
  /** `--format`; absent: each output keeps its input's format (PNG for other inputs). */
  readonly format?: ImageFormat;
  /** `--overwrite`: replace outputs that exist already (default: keep them and skip their inputs). */
  readonly overwrite?: boolean;
}

/**
 * The output of one input: `<outDir>/<name>_x<scale><ext>`. Without `format`, a PNG, JPEG or
 * WebP input keeps its format and extension (`photo.JPEG` -> `photo_x4.JPEG`); anything else
 * is written as PNG. With `format`, its usual extension is used (`.png`, `.jpg`, `.webp`).
 */
export function outputFor(input: string, settings: OutputSettings): { output: string; format: ImageFormat } {
  const name = basename(input);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const own = FORMAT_BY_EXTENSION[ext.toLowerCase()];
  const format = settings.format ?? own ?? 'png';
  const outExt = settings.format === undefined && own !== undefined ? ext : EXTENSION_BY_FORMAT[format];
  return { output: join(resolve(settings.outDir), `${stem}_x${settings.scale}${outExt}`), format };
}

/** What is at an output path now: nothing, a file, or something else (a folder). */
async function existing(path: string): Promise<'none' | 'file' | 'other'> {
  try {
    return (await stat(path)).isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}

/**
 * Plans every output and marks the images that cannot be written safely: an output that is
 * one of the inputs (so it would be overwritten), that an earlier input already claims
 * (`a.png` in two folders), or that is a folder. An output that exists already is
 * {@link UpscaleJob.kept} (so a rerun continues where the last run stopped), or
 * {@link UpscaleJob.replaces} it with `overwrite`. Paths are compared after resolving symlinks.
 */
export async function planOutputs(inputs: readonly string[], settings: OutputSettings): Promise<UpscaleJob[]> {
  const byPath = new Map<string, string>();
  for (const input of inputs) byPath.set(await canonicalPath(input), input);
  const claimed = new Map<string, string>();
  const jobs: UpscaleJob[] = [];
  for (const input of inputs) {
    const { output, format } = outputFor(input, settings);
    const key = await canonicalPath(output);
    const overwritten = byPath.get(key);
    const owner = claimed.get(key);
    let problem: string | undefined;
    let state: { kept?: true; replaces?: true } = {};
    if (overwritten !== undefined) {
      problem = `its output '${output}' is the input '${overwritten}', which is never overwritten: pass a different --out`;
    } else if (owner !== undefined) {
      problem = `its output '${basename(output)}' is already taken by '${owner}': rename one of them, or upscale them into different --out folders`;
    } else {
      claimed.set(key, input);
      const there = await existing(output);
      if (there === 'other') problem = `its output '${output}' exists and is not a file: move it away, or pass a different --out`;
      else if (there === 'file') state = settings.overwrite === true ? { replaces: true } : { kept: true };
    }
    jobs.push({ input, output, format, ...(problem !== undefined ? { problem } : state) });
  }
  return jobs;
}

/**
 * Refuses an output folder that is one of the input folders: the outputs would then be read
 * back as inputs by the next run (`a_x4_x4.png`).
 * @throws {@link CliUsageError} saying to pass a different `--out`.
 */
export async function checkOutputFolder(outDir: string, inputFolders: readonly string[]): Promise<void> {
  const out = await canonicalPath(outDir);
  for (const folder of inputFolders) {
    if ((await canonicalPath(folder)) === out) {
      throw new CliUsageError(`The output folder '${outDir}' is the input folder '${folder}', so a rerun would read the outputs back as inputs: pass a different --out (the default is ./upscaled).`);
    }
  }
}
