import { realpath } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CliUsageError } from '../errors.js';

/** Where `yonos degrade` writes a dataset: `<out>/hr/<name>.png` and `<out>/lr_x<scale>/<name>.png`. */
export interface PairLayout {
  readonly hrDir: string;
  readonly lrDir: string;
}

/** The output folders for `out` and `scale`. */
export function pairLayout(out: string, scale: number): PairLayout {
  const root = resolve(out);
  return { hrDir: join(root, 'hr'), lrDir: join(root, `lr_x${scale}`) };
}

/** The output file name of an input: its name with the extension replaced by `.png`. */
export function outputName(input: string): string {
  const name = basename(input);
  return `${name.slice(0, name.length - extname(name).length)}.png`;
}

/** The real path of `path`, resolving symlinks of the part that exists (outputs may not exist yet). */
async function realPathOf(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await realPathOf(parent), basename(abs));
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Refuses a layout whose output folders hold the inputs: every output name ends in `.png`,
 * so writing into the input folder could replace a PNG input, and a rerun would read the
 * outputs back as inputs.
 * @throws {@link CliUsageError} saying which folder to change.
 */
export async function checkNoOverwrite(inputFolder: string, layout: PairLayout): Promise<void> {
  const input = await realPathOf(inputFolder);
  for (const dir of [layout.hrDir, layout.lrDir]) {
    const out = await realPathOf(dir);
    if (isInside(input, out)) {
      throw new CliUsageError(`The output folder '${dir}' contains the input folder '${inputFolder}', so inputs could be overwritten: pass a different --out (for example a new folder next to the inputs).`);
    }
  }
}
