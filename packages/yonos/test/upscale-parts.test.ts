import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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
import type { UpscaleEvent, UpscaleProgressOptions } from '../src/cli/upscale/progress.js';
import { describeWriteProblem, nodeOutputFiles, OutputFolderError, OutputWriteError, prepareOutputFolder, writeAtomically } from '../src/cli/upscale/output-files.js';
import type { OutputFiles } from '../src/cli/upscale/output-files.js';
import { jobWork, measureJobs } from '../src/cli/upscale/measure.js';
import { rerunAdvice } from '../src/cli/commands/upscale.js';
import { createProgress, estimateSeconds } from '../src/cli/progress.js';
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

/** A clock the test moves by hand, in milliseconds. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/** An error as `node:fs` throws it. */
function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, write '/x'`), { code });
}

function progressOptions(stderr: Capture, stdout: Capture, more: Partial<UpscaleProgressOptions> = {}): UpscaleProgressOptions {
  return { mode: 'auto', stderr, stdout, label: 'upscale x4', work: [100, 300], scale: 4, out: '/o', ...more };
}

describe('ETA', () => {
  it('extrapolates the time spent on the work done; unknown before any', () => {
    expect(estimateSeconds(10_000, 100, 400)).toBe(30);
    expect(estimateSeconds(10_000, 0, 400)).toBeUndefined();
    expect(estimateSeconds(10_000, 400, 400)).toBe(0);
  });
});

describe('createUpscaleProgress, lines (not a terminal)', () => {
  it('prints a line per image and, every few seconds only, a status line with the ETA weighted by pixels', () => {
    const stderr = new Capture();
    const stdout = new Capture();
    const clock = manualClock();
    const progress = createUpscaleProgress(progressOptions(stderr, stdout, { clock: clock.now, intervalMs: 5000 }));
    progress.startImage(0, '/in/a.png', '/o/a_x4.png');
    progress.updateImage(1, 4, 'encode');
    clock.advance(1000);
    progress.updateImage(2, 4, 'denoise');
    expect(stderr.text).toBe('');
    clock.advance(9000);
    progress.updateImage(4, 4, 'decode');
    progress.written(0, { input: '/in/a.png', output: '/o/a_x4.png', width: 8, height: 4, frames: 3, alphaDropped: false });
    progress.startImage(1, '/in/b.png', '/o/b_x4.png');
    progress.updateImage(0, 2, 'read');
    progress.failed(1, '/in/b.png', 'Cannot decode it.');
    progress.finish({ written: 1, kept: 0, failed: ['/in/b.png'], ignored: [], interrupted: false, stopped: null });
    progress.stop();
    // 100 of 400 pixels took 10 s: 30 s left.
    expect(stderr.text.split('\n')).toEqual([
      'upscale x4: image 1 of 2 (/in/a.png: decode 4/4), 25% done, ETA 0:30',
      '/in/a.png -> /o/a_x4.png (8x4) (first of 3 frames only: animations are not upscaled)',
      "warning: skipped '/in/b.png': Cannot decode it.",
      '',
    ]);
    expect(stdout.text).toBe('');
  });

  it('says once which outputs exist already and are kept', () => {
    const stderr = new Capture();
    createUpscaleProgress(progressOptions(stderr, new Capture(), { work: [], kept: [{ input: '/in/a.png', output: '/o/a_x4.png' }] }));
    expect(stderr.text).toBe('note: 1 output exists already and is kept, so its input is not upscaled again (pass --overwrite to replace them): a_x4.png.\n');
  });
});

describe('createUpscaleProgress, json', () => {
  it('prints one JSON object per event on stdout, with the batch position and ETA; warnings stay text on stderr', () => {
    const stderr = new Capture();
    const stdout = new Capture();
    const clock = manualClock();
    const progress = createUpscaleProgress(progressOptions(stderr, stdout, { mode: 'json', clock: clock.now, kept: [{ input: '/in/k.png', output: '/o/k_x4.png' }] }));
    progress.startImage(0, '/in/a.png', '/o/a_x4.png');
    clock.advance(2000);
    progress.updateImage(1, 2, 'denoise');
    clock.advance(2000);
    progress.written(0, { input: '/in/a.png', output: '/o/a_x4.png', width: 8, height: 4, frames: 1, alphaDropped: true });
    progress.startImage(1, '/in/b.png', '/o/b_x4.png');
    progress.failed(1, '/in/b.png', 'Cannot decode it.');
    progress.finish({ written: 1, kept: 1, failed: ['/in/b.png'], ignored: ['/in/x.gif'], interrupted: false, stopped: null });
    progress.stop();
    const events = stdout.text.trim().split('\n').map((line) => JSON.parse(line) as UpscaleEvent);
    expect(events.map((e) => e.event)).toEqual(['start', 'kept', 'image', 'progress', 'written', 'image', 'failed', 'done']);
    expect(events[0]).toEqual({ event: 'start', elapsed: 0, images: 2, kept: 1, scale: 4, out: '/o' });
    expect(events[1]).toEqual({ event: 'kept', elapsed: 0, input: '/in/k.png', output: '/o/k_x4.png' });
    expect(events[2]).toEqual({ event: 'image', elapsed: 0, finished: 0, images: 2, fraction: 0, eta: null, index: 0, input: '/in/a.png', output: '/o/a_x4.png' });
    // Half of a (50 of 400 pixels) in 2 s: 14 s left.
    expect(events[3]).toEqual({ event: 'progress', elapsed: 2, finished: 0, images: 2, fraction: 0.125, eta: 14, index: 0, stage: 'denoise', completed: 1, total: 2 });
    expect(events[4]).toMatchObject({ event: 'written', finished: 1, fraction: 0.25, eta: 12, index: 0, width: 8, height: 4, frames: 1, alphaDropped: true });
    // b failed: its work leaves the batch, which is then complete.
    expect(events[6]).toMatchObject({ event: 'failed', finished: 2, fraction: 1, eta: 0, index: 1, input: '/in/b.png', reason: 'Cannot decode it.' });
    expect(events[7]).toEqual({ event: 'done', elapsed: 4, written: 1, kept: 1, failed: ['/in/b.png'], ignored: ['/in/x.gif'], interrupted: false, stopped: null });
    expect(stderr.text).toMatch(/^note: 1 output exists already and is kept.*\nwarning: skipped '\/in\/b\.png': Cannot decode it\.\n$/);
  });
});

describe('createUpscaleProgress on a terminal', () => {
  it('draws a batch bar with the ETA and an image bar, with log lines above them', async () => {
    const stream = Object.assign(new Capture(), { isTTY: true, columns: 120 });
    const clock = manualClock();
    const progress = createUpscaleProgress(progressOptions(stream, new Capture(), { clock: clock.now, work: [100, 100] }));
    progress.startImage(0, '/in/a.png', '/o/a_x4.png');
    clock.advance(3000);
    progress.updateImage(2, 4, 'denoise');
    progress.log('a note');
    // cli-progress redraws on a timer.
    await new Promise((r) => setTimeout(r, 250));
    progress.written(0, { input: '/in/a.png', output: '/o/a_x4.png', width: 8, height: 4, frames: 1, alphaDropped: false });
    progress.log('another note');
    progress.stop();
    expect(stream.text).toContain('a note\n');
    expect(stream.text).toContain('/in/a.png -> /o/a_x4.png (8x4)\n');
    // Lines logged just before stop() are not lost.
    expect(stream.text).toContain('another note\n');
    // A quarter of the work in 3 s: 9 s left.
    expect(stream.text).toMatch(/upscale x4 \[[^\]]+\] 0\/2 ETA 0:09 \/in\/a\.png/);
    expect(stream.text).toMatch(/ {10} \[[^\]]+\] 2\/4 {2}\/in\/a\.png: denoise/);
  });
});

describe('createProgress (yonos degrade)', () => {
  it('off a terminal prints a count with the ETA every few seconds, not a bar', () => {
    const stream = new Capture();
    const clock = manualClock();
    const progress = createProgress(stream, 4, 'degrade x4', { clock: clock.now, intervalMs: 5000 });
    clock.advance(2000);
    progress.increment('a.png');
    clock.advance(4000);
    progress.increment('b.png');
    progress.log('warning: skipped c.png');
    clock.advance(1000);
    progress.increment('c.png');
    clock.advance(9000);
    progress.increment('d.png');
    progress.stop();
    expect(stream.text).toBe('degrade x4: 2/4, ETA 0:06\nwarning: skipped c.png\n');
  });
});

describe('output folder', () => {
  it('is created, and a file in the way or an unwritable folder is a clear error', async () => {
    const made = join(root, 'made', 'deep');
    await prepareOutputFolder(made);
    expect(await readdir(made)).toEqual([]);
    const file = join(root, 'a', 'one.png');
    await expect(prepareOutputFolder(join(file, 'sub'))).rejects.toThrow(OutputFolderError);
    await expect(prepareOutputFolder(join(file, 'sub'))).rejects.toThrow(/^The output folder '.*one\.png\/sub' cannot be created: '.*a\/one\.png' is a file, not a folder\. Pass an --out/);
    await expect(prepareOutputFolder(file)).rejects.toThrow(/cannot be created: it is a file\./);

    const failing = (method: 'mkdir' | 'writeFile', code: string): OutputFiles => ({ ...nodeOutputFiles, [method]: () => Promise.reject(fsError(code)) });
    await expect(prepareOutputFolder(join(root, 'no-perm'), failing('mkdir', 'EACCES'))).rejects.toThrow(
      /^The output folder '.*no-perm' cannot be created: permission denied \(EACCES\)\. Pass an --out in a folder you can write to\.$/,
    );
    await expect(prepareOutputFolder(made, failing('writeFile', 'EACCES'))).rejects.toThrow(
      /^Cannot write in the output folder '.*deep': permission denied \(EACCES\)\. Pass an --out you can write to, or change its permissions\.$/,
    );
    await expect(prepareOutputFolder(made, failing('writeFile', 'EROFS'))).rejects.toThrow(/the file system is read-only \(EROFS\)/);
    await expect(prepareOutputFolder(made, failing('writeFile', 'ENOSPC'))).rejects.toThrow(/the disk is full \(ENOSPC\)\. Free some space, or pass an --out on another disk\.$/);
    // The probe file is gone.
    expect(await readdir(made)).toEqual([]);
  });

  it('writes atomically: a failed write leaves no file, an existing one stays whole, and says whether the batch must stop', async () => {
    const dir = join(root, 'atomic');
    await mkdir(dir);
    const target = join(dir, 'x.png');
    await writeFile(target, 'old');
    const full: OutputFiles = { ...nodeOutputFiles, writeFile: async (path, data) => {
      await writeFile(path, data.subarray(0, 1));
      throw fsError('ENOSPC');
    } };
    const error = await writeAtomically(target, new Uint8Array([1, 2, 3]), full).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputWriteError);
    expect(error).toMatchObject({ code: 'ENOSPC', stopsBatch: true, reason: 'the disk is full (ENOSPC)', path: target });
    expect(await readdir(dir)).toEqual(['x.png']);
    expect(await readFile(target, 'utf8')).toBe('old');
    await writeAtomically(target, new Uint8Array([65, 66]));
    expect(await readFile(target, 'utf8')).toBe('AB');
    expect(describeWriteProblem(fsError('EISDIR'))).toEqual({ reason: 'EISDIR: simulated, write \'/x\'', stopsBatch: false });
    expect(describeWriteProblem(fsError('EDQUOT')).stopsBatch).toBe(true);
  });
});

describe('existing outputs and unsupported files', () => {
  it('keeps an existing output (or replaces it with overwrite) and refuses one that is a folder', async () => {
    const dir = join(root, 'plan-existing');
    await touch(join(dir, 'out', 'one_x4.png'));
    await mkdir(join(dir, 'out', 'two_x4.png'));
    const inputs = [join(root, 'a', 'one.png'), join(root, 'a', 'two.png'), join(root, 'a', 'three.jpg')];
    const keep = await planOutputs(inputs, { outDir: join(dir, 'out'), scale: 4 });
    expect(keep.map((j) => [j.kept, j.replaces, j.problem])).toEqual([
      [true, undefined, undefined],
      [undefined, undefined, expect.stringMatching(/its output '.*two_x4\.png' exists and is not a file: move it away, or pass a different --out/)],
      [undefined, undefined, undefined],
    ]);
    const replace = await planOutputs(inputs, { outDir: join(dir, 'out'), scale: 4, overwrite: true });
    expect(replace.map((j) => [j.kept, j.replaces])).toEqual([[undefined, true], [undefined, undefined], [undefined, undefined]]);
  });

  it('lists the other files of folders and pattern matches, not hidden ones nor files named on their own', async () => {
    const listing = await collectInputs([join(root, 'a'), join(root, 'a', 'notes.txt')]);
    expect(listing.unsupported).toEqual([]);
    await touch(join(root, 'gifs', 'anim.gif'), join(root, 'gifs', 'x.png'), join(root, 'gifs', '.DS_Store'));
    const more = await collectInputs([join(root, 'gifs'), join(root, 'a', '*.txt')]);
    expect(more.unsupported).toEqual([join(root, 'gifs', 'anim.gif'), join(root, 'a', 'notes.txt')]);
  });

  it('reads the headers of the images to upscale for the ETA weights; an unreadable one gets the mean', async () => {
    const jobs = [
      { input: '/a.png', output: '/o/a.png', format: 'png' as const },
      { input: '/b.png', output: '/o/b.png', format: 'png' as const },
      { input: '/c.png', output: '/o/c.png', format: 'png' as const, kept: true as const },
      { input: '/d.png', output: '/o/d.png', format: 'png' as const },
    ];
    const read = (path: string) => (path === '/b.png' ? Promise.reject(new Error('corrupt')) : Promise.resolve({ format: 'png', width: path === '/a.png' ? 10 : 30, height: 10, frames: 1 }));
    const measured = await measureJobs(jobs, read);
    expect(measured.map((j) => j.info?.width)).toEqual([10, undefined, undefined, 30]);
    expect(jobWork(measured.filter((j) => j.kept !== true))).toEqual([100, 200, 300]);
  });
});

describe('rerunAdvice', () => {
  const job = (name: string, replaces = false) => ({ input: `/in/${name}.png`, output: `/o/${name}_x4.png`, format: 'png' as const, ...(replaces ? { replaces: true as const } : {}) });
  it('says that a rerun continues, and what --overwrite changes', () => {
    expect(rerunAdvice(false, 2, [job('c'), job('d')])).toBe('Rerun the same command to upscale the remaining 2: the 2 written are kept and skipped, and the result is the same as one uninterrupted run.');
    expect(rerunAdvice(false, 0, [job('c')])).toBe('Rerun the same command to upscale the remaining 1.');
    expect(rerunAdvice(true, 1, [job('c')])).toBe('Rerun without --overwrite to upscale only the remaining 1 (the 1 written now are kept), or with --overwrite to redo everything.');
    expect(rerunAdvice(true, 1, [job('c'), job('d', true)])).toMatch(/^Rerun the same command \(with --overwrite\) to redo every image; without --overwrite only the 1 remaining with no output would be upscaled, and 1 old output not replaced yet would stay as they are \(d_x4\.png\)\.$/);
  });
});
