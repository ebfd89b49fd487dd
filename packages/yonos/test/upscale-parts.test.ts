import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { YonosModelIndex } from '@yonos/sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliUsageError } from '../src/cli/errors.js';
import { expandGlob, hasGlobMagic } from '../src/cli/upscale/glob.js';
import { collectInputs } from '../src/cli/upscale/inputs.js';
import { watchInterrupt } from '../src/cli/upscale/interrupt.js';
import { chooseScale, ModelNotFoundError, resolveModelDir } from '../src/cli/upscale/model.js';
import { checkOutputFolder, outputFor, planOutputs } from '../src/cli/upscale/output-plan.js';
import { createUpscaleProgress } from '../src/cli/upscale/progress.js';
import { tileOptions } from '../src/cli/upscale/tile.js';
import { Capture } from './helpers.js';

let root: string;

async function touch(...paths: string[]): Promise<void> {
  for (const path of paths) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, 'x');
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'yonos-upscale-parts-'));
  await touch(
    join(root, 'a', 'one.png'),
    join(root, 'a', 'two.png'),
    join(root, 'a', 'three.jpg'),
    join(root, 'a', 'notes.txt'),
    join(root, 'a', '.hidden.png'),
    join(root, 'a', 'deep', 'four.png'),
    join(root, 'a', 'deep', 'er', 'five.webp'),
    join(root, 'b', 'one.png'),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('glob', () => {
  it('tells patterns from plain paths', () => {
    expect(hasGlobMagic('a/*.png')).toBe(true);
    expect(hasGlobMagic('a/**/b.png')).toBe(true);
    expect(hasGlobMagic('a/b.png')).toBe(false);
  });

  it('expands absolute and relative patterns, ** at any depth, and skips hidden files', async () => {
    const a = join(root, 'a');
    expect(await expandGlob(join(a, '*.png'))).toEqual([join(a, 'one.png'), join(a, 'two.png')]);
    expect(await expandGlob(join(a, 't??.*'))).toEqual([join(a, 'two.png')]);
    expect(await expandGlob(join(a, '.*.png'))).toEqual([join(a, '.hidden.png')]);
    expect(await expandGlob(join(a, '**', '*.png'))).toEqual([join(a, 'deep', 'four.png'), join(a, 'one.png'), join(a, 'two.png')]);
    expect(await expandGlob(join(a, 'deep', '**'))).toEqual([join(a, 'deep', 'er', 'five.webp'), join(a, 'deep', 'four.png')]);
    expect(await expandGlob(join(root, '*', 'one.png'))).toEqual([join(a, 'one.png'), join(root, 'b', 'one.png')]);
    expect(await expandGlob(relative(process.cwd(), join(a, '*.jpg')))).toEqual([join(a, 'three.jpg')]);
    expect(await expandGlob(join(root, 'missing', '*.png'))).toEqual([]);
  });
});

describe('collectInputs', () => {
  it('takes files as given, the images of folders, pattern matches, each once, and lists what matched nothing', async () => {
    const a = join(root, 'a');
    const listing = await collectInputs([join(a, 'notes.txt'), a, join(a, 'one.png'), join(root, '*', 'one.png'), join(root, 'none.png'), join(root, 'nothing', '*.png'), join(a, '*.txt')]);
    expect(listing.images).toEqual([join(a, 'notes.txt'), join(a, '.hidden.png'), join(a, 'one.png'), join(a, 'three.jpg'), join(a, 'two.png'), join(root, 'b', 'one.png')]);
    expect(listing.folders).toEqual([a]);
    expect(listing.unmatched).toEqual([
      { argument: join(root, 'none.png'), reason: 'no such file or folder' },
      { argument: join(root, 'nothing', '*.png'), reason: 'the pattern matched no PNG, JPEG or WebP file' },
      { argument: join(a, '*.txt'), reason: 'the pattern matched no PNG, JPEG or WebP file (1 other files)' },
    ]);
    // notes.txt and deep/ in the folder, notes.txt through the pattern.
    expect(listing.ignored).toBe(3);
  });
});

describe('output plan', () => {
  it('names outputs <name>_x<scale> with the input extension, or the --format one', () => {
    const out = join(root, 'out');
    expect(outputFor('/x/photo.JPEG', { outDir: out, scale: 4 })).toEqual({ output: join(out, 'photo_x4.JPEG'), format: 'jpeg' });
    expect(outputFor('/x/a.b.webp', { outDir: out, scale: 8 })).toEqual({ output: join(out, 'a.b_x8.webp'), format: 'webp' });
    expect(outputFor('/x/scan.tiff', { outDir: out, scale: 4 })).toEqual({ output: join(out, 'scan_x4.png'), format: 'png' });
    expect(outputFor('/x/photo.png', { outDir: out, scale: 4, format: 'jpeg' })).toEqual({ output: join(out, 'photo_x4.jpg'), format: 'jpeg' });
  });

  it('marks outputs that are inputs (also through a symlink) and outputs claimed twice', async () => {
    const a = join(root, 'a');
    await symlink(a, join(root, 'link'));
    const inputs = [join(a, 'one.png'), join(root, 'b', 'one.png'), join(a, 'one_x2.png'), join(root, 'link', 'two.png')];
    await touch(join(a, 'one_x2.png'));
    const jobs = await planOutputs(inputs, { outDir: join(root, 'link'), scale: 2 });
    expect(jobs.map((j) => j.output)).toEqual(['one_x2.png', 'one_x2.png', 'one_x2_x2.png', 'two_x2.png'].map((n) => join(root, 'link', n)));
    expect(jobs[0]!.problem).toMatch(/^its output '.*link\/one_x2\.png' is the input '.*a\/one_x2\.png', which is never overwritten: pass a different --out$/);
    expect(jobs[1]!.problem).toMatch(/^its output '.*link\/one_x2\.png' is the input/);
    expect(jobs[2]!.problem).toBeUndefined();
    expect(jobs[3]!.problem).toBeUndefined();
    const twice = await planOutputs([join(a, 'two.png'), join(root, 'b', 'one.png'), join(a, 'one.png')], { outDir: join(root, 'out'), scale: 4 });
    expect(twice.map((j) => j.problem)).toEqual([undefined, undefined, `its output 'one_x4.png' is already taken by '${join(root, 'b', 'one.png')}': rename one of them, or upscale them into different --out folders`]);
  });

  it('refuses an output folder that is an input folder', async () => {
    await expect(checkOutputFolder(join(root, 'link'), [join(root, 'a')])).rejects.toThrow(CliUsageError);
    await expect(checkOutputFolder(join(root, 'a', 'deep'), [join(root, 'a')])).resolves.toBeUndefined();
  });
});

describe('model folder and scale', () => {
  it('uses --model, or the bundled x<scale>/ folder (default x4), and says what to pass when there is none', async () => {
    const bundled = join(root, 'bundled');
    await mkdir(bundled);
    const layout = 'a YonosPipeline folder (model_index.json with unet/, vae/ and scheduler/, as YonosPipeline.savePretrained writes it).';
    expect(() => resolveModelDir(undefined, { bundled })).toThrow(ModelNotFoundError);
    expect(() => resolveModelDir(undefined, { bundled })).toThrow(`No bundled model is installed (no x<N>/model_index.json in ${bundled}): pass --model <folder>, ${layout}`);
    expect(() => resolveModelDir(join(root, 'a'), { bundled })).toThrow(/^--model '.*a' has no model_index\.json/);
    // A scale folder counts once its index exists.
    await mkdir(join(bundled, 'x8'));
    expect(() => resolveModelDir(undefined, { bundled, scale: 8 })).toThrow(/^No bundled model is installed/);
    await writeFile(join(bundled, 'x8', 'model_index.json'), '{}');
    expect(resolveModelDir(undefined, { bundled, scale: 8 })).toBe(join(bundled, 'x8'));
    expect(() => resolveModelDir(undefined, { bundled })).toThrow(
      `No bundled model for x4: bundled scales are x8 (in ${bundled}). Pass --scale 8, or --model <folder> trained for x4, ${layout}`,
    );
    await mkdir(join(bundled, 'x4'));
    await writeFile(join(bundled, 'x4', 'model_index.json'), '{}');
    expect(resolveModelDir(undefined, { bundled })).toBe(join(bundled, 'x4'));
    expect(() => resolveModelDir(undefined, { bundled, scale: 2 })).toThrow(/^No bundled model for x2: bundled scales are x4, x8 \(in .*\)\. Pass --scale 4 or --scale 8, or --model <folder> trained for x2/);
    // --model wins over the bundle, whatever the scale.
    expect(resolveModelDir(join(bundled, 'x8'), { bundled: join(root, 'elsewhere'), scale: 4 })).toBe(join(bundled, 'x8'));
  });

  it("accepts only the model's scale", () => {
    const index = { scale_factor: 4 } as YonosModelIndex;
    expect(chooseScale(undefined, index, 'm')).toBe(4);
    expect(chooseScale(4, index, 'm')).toBe(4);
    expect(() => chooseScale(8, index, 'm')).toThrow(/^--scale 8 does not match the model, which upscales x4 \(m\): pass --scale 4, or --model a folder trained for x8\.$/);
  });
});

describe('tileOptions', () => {
  const sd = { vae: { downsampleFactor: 8 }, latentMultiple: 8 } as Parameters<typeof tileOptions>[1];

  it('maps output pixels to VAE and latent tile sizes of the same area', () => {
    expect(tileOptions(undefined, sd)).toBeUndefined();
    expect(tileOptions(0, sd)).toBe(false);
    expect(tileOptions(512, sd)).toEqual({ vaeTileSize: 512, latentTileSize: 64 });
    expect(tileOptions(64, sd)).toEqual({ vaeTileSize: 64, latentTileSize: 8 });
  });

  it('names the valid sizes around one it cannot use', () => {
    expect(() => tileOptions(500, sd)).toThrow(/--tile 500 is not a multiple of 64 \(this model's VAE factor 8 x latent multiple 8\): pass 448 or 512, or 0/);
    expect(() => tileOptions(40, sd)).toThrow(/pass 64, or 0 to turn tiling off/);
  });
});

describe('watchInterrupt', () => {
  it('aborts on the first SIGINT, then lets the next one through', () => {
    const source = new EventEmitter();
    let told = 0;
    const interrupt = watchInterrupt(() => told++, source as unknown as NodeJS.Process);
    expect(interrupt.signal.aborted).toBe(false);
    expect(source.listenerCount('SIGINT')).toBe(1);
    source.emit('SIGINT');
    expect(interrupt.signal.aborted).toBe(true);
    expect(told).toBe(1);
    expect(source.listenerCount('SIGINT')).toBe(0);
    interrupt.dispose();
    const unused = watchInterrupt(() => told++, source as unknown as NodeJS.Process);
    unused.dispose();
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(unused.signal.aborted).toBe(false);
  });
});

describe('createUpscaleProgress', () => {
  it('prints only the log lines when the stream is not a terminal', () => {
    const stream = new Capture();
    const progress = createUpscaleProgress(stream, 2, 'upscale x4');
    progress.startImage('a.png');
    progress.updateImage(1, 3, 'encode');
    progress.log('a.png -> out/a_x4.png');
    progress.finishImage();
    progress.stop();
    expect(stream.text).toBe('a.png -> out/a_x4.png\n');
  });
});

describe('createUpscaleProgress on a terminal', () => {
  it('draws a batch bar and an image bar, with log lines above them', async () => {
    const stream = Object.assign(new Capture(), { isTTY: true, columns: 100 });
    const progress = createUpscaleProgress(stream, 2, 'upscale x4');
    progress.startImage('a.png');
    progress.updateImage(2, 4, 'denoise');
    progress.log('a.png -> out/a_x4.png');
    // cli-progress redraws on a timer.
    await new Promise((r) => setTimeout(r, 250));
    progress.finishImage();
    progress.log('b.png -> out/b_x4.png');
    progress.stop();
    expect(stream.text).toContain('a.png -> out/a_x4.png\n');
    // Lines logged just before stop() are not lost.
    expect(stream.text).toContain('b.png -> out/b_x4.png\n');
    expect(stream.text).toMatch(/upscale x4 \[[^\]]+\] 0\/2 a\.png/);
    expect(stream.text).toMatch(/ {10} \[[^\]]+\] 2\/4 a\.png: denoise/);
  });
});
