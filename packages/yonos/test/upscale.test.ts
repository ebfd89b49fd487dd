import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { imresize, useBackend } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { encodeImage, readImage, writeImage } from '@yonos/core/node';
import { YonosPipeline } from '@yonos/sampler';
import { UNet2DConditionModel } from '@yonos/unet';
import { AutoencoderKL } from '@yonos/vae';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { nodeOutputFiles } from '../src/cli/upscale/output-files.js';
import type { OutputFiles } from '../src/cli/upscale/output-files.js';
import type { UpscaleEvent } from '../src/cli/upscale/progress.js';
import '../src/model-classes.js';
import { Capture, testImage, yonos, yonosWith } from './helpers.js';
import { copyPipeline } from './tiny-pipeline.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/diffusers');

let root: string;
let model: string;
let input: string;

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

async function bytesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await files(dir)) out.set(name, await readFile(join(dir, name)));
  return out;
}

/** An 8-bit RGBA image whose alpha has soft and hard edges. */
function rgbaImage(width: number, height: number): RawImage {
  const rgb = testImage(width, height, 7);
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data.set(rgb.data.subarray(3 * p, 3 * p + 3), 4 * p);
    const x = p % width;
    data[4 * p + 3] = x < 2 ? 0 : x < 5 ? 60 * x : 255;
  }
  return { data, width, height, channels: 4, bitDepth: 8 };
}

/** Core's bicubic of the alpha, quantized as the pipeline does, computed here without the pipeline. */
function expectedAlpha(image: RawImage, scale: number): number[] {
  const alpha = Float32Array.from({ length: image.width * image.height }, (_, p) => image.data[p * image.channels + image.channels - 1]! / 255);
  const up = tf.tidy(() => tf.clipByValue(imresize(tf.tensor4d(alpha, [1, image.height, image.width, 1]), scale), 0, 1));
  const values = Array.from(up.dataSync(), (v) => Math.min(255, Math.max(0, Math.round(v * 255))));
  up.dispose();
  return values;
}

function channel(image: RawImage, c: number): number[] {
  return Array.from({ length: image.width * image.height }, (_, p) => image.data[p * image.channels + c]!);
}

describe('yonos upscale', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'yonos-upscale-'));
    // A real YonosPipeline folder from the tiny diffusers fixtures (VAE factor 4, latent multiple 4).
    const vae = await AutoencoderKL.fromPretrained(join(FIXTURES, 'vae-tiny'));
    const unet = await UNet2DConditionModel.fromPretrained(join(FIXTURES, 'unet-sd2-tiny'));
    const pipe = new YonosPipeline({ vae, unet, scale: 4 });
    model = join(root, 'model');
    await pipe.savePretrained(model);
    pipe.dispose();

    input = join(root, 'in');
    await mkdir(input);
    await writeImage(join(input, 'rgba.png'), rgbaImage(8, 6));
    await writeImage(join(input, 'photo.jpg'), testImage(8, 8, 2), { quality: 90 });
    await writeImage(join(input, 'pic.webp'), testImage(6, 7, 3), { lossless: true });
    const gray = testImage(7, 5, 4);
    await writeImage(join(input, 'gray.png'), { data: Uint8Array.from(channel(gray, 0)), width: 7, height: 5, channels: 1, bitDepth: 8 });
    const gray16 = Uint16Array.from({ length: 6 * 5 }, (_, p) => (p * 2011) % 65536);
    await writeImage(join(input, 'gray16.png'), { data: gray16, width: 6, height: 5, channels: 1, bitDepth: 16 });
    await writeFile(join(input, 'bad.png'), 'this is not a PNG file');
    await writeFile(join(input, 'notes.txt'), 'not an image');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('upscales PNG (RGBA, gray, 16-bit), JPEG and WebP, keeps alpha, skips the corrupt file, exits with 1', async () => {
    const before = await bytesOf(input);
    const out = join(root, 'out');
    const run = await yonos('upscale', input, '-o', out, '--model', model);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Upscaled 5 images x4 into .*out: steps 1, seed 0, backend wasm, model .*model\.$/m);
    const lines = run.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('warning: '))).toEqual([expect.stringMatching(/^warning: skipped '.*bad\.png': Cannot decode image .*Pass an uncorrupted PNG, JPEG or WebP file\.$/)]);
    expect(lines.at(-1)).toMatch(/^error: 1 of 6 inputs failed \(.*bad\.png; reasons above\)/);
    expect(lines.filter((l) => / -> /.test(l))).toHaveLength(5);
    expect(await files(out)).toEqual(['gray16_x4.png', 'gray_x4.png', 'photo_x4.jpg', 'pic_x4.webp', 'rgba_x4.png']);

    const shapes = await Promise.all((await files(out)).map(async (f) => {
      const img = await readImage(join(out, f));
      return [f, img.width, img.height, img.channels, img.bitDepth];
    }));
    expect(shapes).toEqual([
      ['gray16_x4.png', 24, 20, 1, 16],
      ['gray_x4.png', 28, 20, 1, 8],
      ['photo_x4.jpg', 32, 32, 3, 8],
      ['pic_x4.webp', 24, 28, 3, 8],
      ['rgba_x4.png', 32, 24, 4, 8],
    ]);

    // Alpha is core's bicubic of the input alpha, quantized: recomputed here.
    const rgba = await readImage(join(input, 'rgba.png'));
    const upscaled = await readImage(join(out, 'rgba_x4.png'));
    expect(channel(upscaled, 3)).toEqual(expectedAlpha(rgba, 4));

    // The colors are what the library computes for the same file and seed.
    const pipe = await YonosPipeline.fromPretrained(model);
    const direct = await pipe.upscale(rgba, { seed: 0 });
    pipe.dispose();
    expect((await encodeImage(direct, { format: 'png' })).equals(await readFile(join(out, 'rgba_x4.png')))).toBe(true);

    // Inputs are untouched and nothing was written next to them.
    expect(await bytesOf(input)).toEqual(before);
  });

  it('is reproducible: the same seed gives the same bytes, another seed other bytes; no tensor leaks', async () => {
    const args = [join(input, '*.png'), join(input, 'pic.webp'), '--model', model, '--backend', 'wasm'];
    await yonos('upscale', ...args, '-o', join(root, 'warm'), '--seed', '3');
    const tensors = tf.memory().numTensors;
    const a = await yonos('upscale', ...args, '-o', join(root, 'seed3a'), '--seed', '3');
    expect(tf.memory().numTensors).toBe(tensors);
    const b = await yonos('upscale', ...args, '-o', join(root, 'seed3b'), '--seed', '3');
    const c = await yonos('upscale', ...args, '-o', join(root, 'seed4'), '--seed', '4');
    expect([a.code, b.code, c.code]).toEqual([1, 1, 1]);
    const [x, y, z] = await Promise.all(['seed3a', 'seed3b', 'seed4'].map((d) => bytesOf(join(root, d))));
    // The pattern picked the PNGs only (bad.png failing among them).
    expect([...x!.keys()]).toEqual(['gray16_x4.png', 'gray_x4.png', 'pic_x4.webp', 'rgba_x4.png']);
    for (const [name, bytes] of x!) {
      expect(bytes.equals(y!.get(name)!), name).toBe(true);
      expect(bytes.equals(z!.get(name)!), name).toBe(false);
    }
  });

  it('never overwrites an input: an output that is an input, or that another input claims, is skipped', async () => {
    const dir = join(root, 'clash');
    const other = join(root, 'clash-other');
    await mkdir(dir);
    await mkdir(other);
    await writeImage(join(dir, 'a.png'), testImage(4, 4, 1));
    await writeImage(join(dir, 'a_x4.png'), testImage(4, 4, 2));
    await writeImage(join(other, 'a_x4.png'), testImage(4, 4, 3));
    const before = await bytesOf(dir);
    // The whole folder as input and as output: refused before anything runs.
    const same = await yonos('upscale', dir, '-o', dir, '--model', model);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^error: The output folder '.*clash' is the input folder .*: pass a different --out/);
    // Files: a.png would write clash/a_x4.png, which is an input; other/a_x4.png and clash/a_x4.png both make a_x4_x4.png.
    const run = await yonos('upscale', join(dir, 'a.png'), join(dir, 'a_x4.png'), join(other, 'a_x4.png'), '-o', dir, '--model', model);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/warning: skipped '.*clash\/a\.png': its output '.*clash\/a_x4\.png' is the input '.*clash\/a_x4\.png', which is never overwritten: pass a different --out/);
    expect(run.stderr).toMatch(/warning: skipped '.*clash-other\/a_x4\.png': its output 'a_x4_x4\.png' is already taken by '.*clash\/a_x4\.png'/);
    expect(run.stderr).toMatch(/error: 2 of 3 inputs failed/);
    const after = await bytesOf(dir);
    expect(after.get('a.png')!.equals(before.get('a.png')!)).toBe(true);
    expect(after.get('a_x4.png')!.equals(before.get('a_x4.png')!)).toBe(true);
    expect([...after.keys()]).toEqual(['a.png', 'a_x4.png', 'a_x4_x4.png']);
  });

  it('writes another format on request: WebP keeps alpha, JPEG drops it with a note', async () => {
    const rgba = join(input, 'rgba.png');
    const webp = await yonos('upscale', rgba, '-o', join(root, 'webp'), '--model', model, '--format', 'webp', '--quality', '100');
    expect(webp.code).toBe(0);
    const image = await readImage(join(root, 'webp', 'rgba_x4.webp'));
    expect([image.width, image.height, image.channels]).toEqual([32, 24, 4]);
    const jpeg = await yonos('upscale', rgba, '-o', join(root, 'jpeg'), '--model', model, '-f', 'jpeg');
    expect(jpeg.code).toBe(0);
    expect(jpeg.stderr).toContain('(alpha dropped: JPEG cannot hold it; use --format png or webp to keep it)');
    expect((await readImage(join(root, 'jpeg', 'rgba_x4.jpg'))).channels).toBe(3);
  });

  it('tiles with --tile (output pixels) and explains sizes it cannot use', async () => {
    const photo = join(input, 'photo.jpg');
    const bad = await yonos('upscale', photo, '-o', join(root, 'tile-bad'), '--model', model, '--tile', '20');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --tile 20 is not a multiple of 16 \(this model's VAE factor 4 x latent multiple 4\): pass 16 or 32, or 0 to turn tiling off\.$/m);
    const tiled = await yonos('upscale', photo, '-o', join(root, 'tiled'), '--model', model, '--tile', '16', '-f', 'png');
    const whole = await yonos('upscale', photo, '-o', join(root, 'whole'), '--model', model, '--tile', '0', '-f', 'png');
    expect([tiled.code, whole.code]).toEqual([0, 0]);
    const a = await readImage(join(root, 'tiled', 'photo_x4.png'));
    const b = await readImage(join(root, 'whole', 'photo_x4.png'));
    expect([a.width, a.height]).toEqual([32, 32]);
    // 16-px tiles of a 32-px image: the U-Net sees 4x4 latent windows, so the result differs.
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(false);
  });

  it('--memory sets the budget: an image that cannot fit it is skipped with what to pass, one that fits runs untiled', async () => {
    const big = join(root, 'big-in');
    await mkdir(big, { recursive: true });
    // 512x512 at x4: the 2048x2048 output alone is 48 MiB of float32, over a 16 MiB budget.
    await writeImage(join(big, 'large.png'), testImage(512, 512, 9));
    const refused = await yonos('upscale', join(big, 'large.png'), '-o', join(root, 'big-out'), '--model', model, '--memory', '16');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/more than the budget of 16 MiB: pass --memory \d+ \(or more, if the machine has it\), or --tile <px> to run with fixed tiles and no budget\./);
    expect(existsSync(join(root, 'big-out', 'large_x4.png'))).toBe(false);
    const photo = join(input, 'photo.jpg');
    const roomy = await yonos('upscale', photo, '-o', join(root, 'roomy'), '--model', model, '--memory', '4096', '-f', 'png');
    const whole = await yonos('upscale', photo, '-o', join(root, 'roomy-whole'), '--model', model, '--tile', '0', '-f', 'png');
    expect([roomy.code, whole.code]).toEqual([0, 0]);
    const a = await readImage(join(root, 'roomy', 'photo_x4.png'));
    const b = await readImage(join(root, 'roomy-whole', 'photo_x4.png'));
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    const bad = await yonos('upscale', photo, '-o', join(root, 'never-mem'), '--model', model, '--memory', '2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--memory must be at least 16/);
  });

  it('refuses a --scale the model was not trained for, and a --model that is not a pipeline folder', async () => {
    const out = join(root, 'never');
    const scale = await yonos('upscale', input, '-o', out, '--model', model, '--scale', '8');
    expect(scale.code).toBe(2);
    expect(scale.stderr).toMatch(/^error: --scale 8 does not match the model, which upscales x4 \(.*\): pass --scale 4, or --model a folder trained for x8\.$/m);
    const folder = await yonos('upscale', input, '-o', out, '--model', input);
    expect(folder.stderr).toMatch(/^error: --model '.*in' has no model_index\.json: pass a YonosPipeline folder/);
    const steps = await yonos('upscale', input, '-o', out, '--model', model, '--steps', '0');
    expect(steps.stderr).toMatch(/^error: --steps must be at least 1 \(got "0"\)\./);
    const nothing = await yonos('upscale', join(root, 'nope', '*.png'), join(root, 'missing.png'), '-o', out, '--model', model);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/warning: skipped '.*nope\/\*\.png': the pattern matched no PNG, JPEG or WebP file/);
    expect(nothing.stderr).toMatch(/warning: skipped '.*missing\.png': no such file or folder/);
    expect(nothing.stderr).toMatch(/error: No image to upscale in/);
    expect(existsSync(out)).toBe(false);
  });

  it('without --model uses the bundled model for --scale (x4 by default), or says what is bundled', async () => {
    const bundle = join(root, 'bundle');
    copyPipeline(model, join(bundle, 'x4'), {});
    copyPipeline(model, join(bundle, 'x8'), { scale_factor: 8 });
    const photo = join(input, 'photo.jpg');
    const viaModel = await yonos('upscale', photo, '-o', join(root, 'via-model'), '--model', model);
    const x4 = await yonosWith({ bundledModelRoot: bundle }, 'upscale', photo, '-o', join(root, 'bundled-x4'));
    expect([viaModel.code, x4.code]).toEqual([0, 0]);
    expect(x4.stdout).toMatch(/^Upscaled 1 image x4 into .*bundled-x4: steps 1, seed 0, backend wasm, model .*bundle\/x4\.$/m);
    // Same weights as --model: the same bytes.
    expect((await readFile(join(root, 'bundled-x4', 'photo_x4.jpg'))).equals(await readFile(join(root, 'via-model', 'photo_x4.jpg')))).toBe(true);

    const x8 = await yonosWith({ bundledModelRoot: bundle }, 'upscale', photo, '-o', join(root, 'bundled-x8'), '--scale', '8', '-f', 'png');
    expect(x8.code).toBe(0);
    expect(x8.stdout).toMatch(/ x8 into .* model .*bundle\/x8\.$/m);
    const big = await readImage(join(root, 'bundled-x8', 'photo_x8.png'));
    expect([big.width, big.height]).toEqual([64, 64]);

    const missing = await yonosWith({ bundledModelRoot: bundle }, 'upscale', photo, '-o', join(root, 'never'), '--scale', '2');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: No bundled model for x2: bundled scales are x4, x8 \(in .*bundle\)\. Pass --scale 4 or --scale 8, or --model <folder> trained for x2, /),
    ]);
    const empty = join(root, 'no-bundle');
    await mkdir(empty);
    const none = await yonosWith({ bundledModelRoot: empty }, 'upscale', photo, '-o', join(root, 'never'));
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: No bundled model is installed \(no x<N>\/model_index\.json in .*no-bundle\): pass --model <folder>/)]);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('stops on Ctrl-C (SIGINT): the current image is abandoned, nothing leaks, the exit code is 1', async () => {
    const out = join(root, 'interrupted');
    const listeners = process.listenerCount('SIGINT');
    await yonos('upscale', join(input, 'photo.jpg'), '-o', join(root, 'warm-int'), '--model', model);
    const tensors = tf.memory().numTensors;
    const running = yonos('upscale', join(input, 'photo.jpg'), join(input, 'pic.webp'), '-o', out, '--model', model);
    // The handler is installed once the model is loaded, right before the first image.
    while (process.listenerCount('SIGINT') === listeners) await new Promise((r) => setTimeout(r, 1));
    process.emit('SIGINT');
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Interrupted: stopping the current image (press Ctrl-C again to kill).');
    expect(run.stderr).toMatch(/^error: Interrupted \(Ctrl-C\) at '.*photo\.jpg': 0 of 2 images written\. Rerun the same command/m);
    expect(await files(out)).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  /** Three inputs upscaled in one uninterrupted run, made once: what interrupted and stopped batches must end as. */
  let referenceDir: string | undefined;
  const three = (): string[] => [join(input, 'photo.jpg'), join(input, 'pic.webp'), join(input, 'rgba.png')];
  async function reference(): Promise<Map<string, Buffer>> {
    if (referenceDir === undefined) {
      referenceDir = join(root, 'reference');
      expect((await yonos('upscale', ...three(), '-o', referenceDir, '--model', model)).code).toBe(0);
    }
    return bytesOf(referenceDir);
  }

  /** An error as `node:fs` throws it. */
  const fsError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });

  it('keeps an existing output and skips its input (so a rerun continues); --overwrite replaces it', async () => {
    const out = join(root, 'existing');
    const photo = join(input, 'photo.jpg');
    const pic = join(input, 'pic.webp');
    expect((await yonos('upscale', photo, '-o', out, '--model', model)).code).toBe(0);
    const fresh = await readFile(join(out, 'photo_x4.jpg'));
    await writeFile(join(out, 'photo_x4.jpg'), 'an older output');

    const again = await yonos('upscale', photo, pic, '-o', out, '--model', model);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('note: 1 output exists already and is kept, so its input is not upscaled again (pass --overwrite to replace them): photo_x4.jpg.\n');
    expect(again.stderr).not.toMatch(/photo\.jpg -> /);
    expect(again.stdout).toMatch(/^Upscaled 1 image x4 into .*existing: steps 1, seed 0, backend wasm, model .*model\.$/m);
    expect(again.stdout).toMatch(/^Kept 1 output that existed already \(pass --overwrite to replace them\): photo_x4\.jpg\.$/m);
    expect(await readFile(join(out, 'photo_x4.jpg'), 'utf8')).toBe('an older output');
    expect(await files(out)).toEqual(['photo_x4.jpg', 'pic_x4.webp']);

    // Everything there already: the model is not even loaded.
    const load = vi.spyOn(YonosPipeline, 'fromPretrained');
    try {
      const nothing = await yonos('upscale', photo, pic, '-o', out, '--model', model);
      expect(nothing.code).toBe(0);
      expect(nothing.stdout).toMatch(/^Upscaled 0 images x4 into .*existing\.\nKept 2 outputs that existed already/);
      expect(load).not.toHaveBeenCalled();
    } finally {
      load.mockRestore();
    }

    const over = await yonos('upscale', photo, pic, '-o', out, '--model', model, '--overwrite');
    expect(over.code).toBe(0);
    expect(over.stdout).toMatch(/^Upscaled 2 images x4 /);
    expect(over.stdout + over.stderr).not.toMatch(/kept/i);
    expect((await readFile(join(out, 'photo_x4.jpg'))).equals(fresh)).toBe(true);
  });

  it('Ctrl-C after an image, then the suggested rerun finishes the rest: the same bytes as one run; --progress json events', async () => {
    const expected = await reference();
    const out = join(root, 'resumed');
    // SIGINT as soon as the first image is written, as a user pressing Ctrl-C then.
    const stdout = new Capture();
    const write = stdout.write.bind(stdout);
    stdout.write = (chunk: string) => {
      const result = write(chunk);
      if (chunk.includes('"event":"written"')) process.emit('SIGINT');
      return result;
    };
    const stderr = new Capture();
    const io: CliIO = { stdout, stderr };
    const code = await runCli(['upscale', ...three(), '-o', out, '--model', model, '--progress', 'json'], io);
    expect(code).toBe(1);
    expect(stderr.text).toMatch(
      /^error: Interrupted \(Ctrl-C\) at '.*pic\.webp': 1 of 3 images written\. Rerun the same command to upscale the remaining 2: the 1 written are kept and skipped, and the result is the same as one uninterrupted run\.$/m,
    );
    // stdout holds the events only; the summary went to stderr.
    const events = stdout.text.trim().split('\n').map((line) => JSON.parse(line) as UpscaleEvent);
    expect(events.map((e) => e.event).filter((e) => e !== 'progress')).toEqual(['start', 'image', 'written', 'done']);
    expect(events[0]).toMatchObject({ event: 'start', images: 3, kept: 0, scale: 4, out });
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ index: 0, stage: 'decode', finished: 0, images: 3 });
    const written = events.find((e) => e.event === 'written');
    expect(written).toMatchObject({ index: 0, finished: 1, input: join(input, 'photo.jpg'), output: join(out, 'photo_x4.jpg'), width: 32, height: 32, frames: 1, alphaDropped: false });
    expect(written).toHaveProperty('eta', expect.any(Number));
    expect(events.at(-1)).toMatchObject({ event: 'done', written: 1, kept: 0, failed: [], interrupted: true, stopped: null });
    expect(stderr.text).toMatch(/^Upscaled 1 image x4 into /m);

    const rerun = await yonos('upscale', ...three(), '-o', out, '--model', model);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/^Upscaled 2 images x4 /);
    expect(rerun.stdout).toMatch(/^Kept 1 output that existed already .*: photo_x4\.jpg\.$/m);
    expect(await bytesOf(out)).toEqual(expected);
  });

  it('a full disk (ENOSPC) stops the batch: the images written stay whole, the message names what is missing and why', async () => {
    const expected = await reference();
    const out = join(root, 'disk-full');
    let imageWrites = 0;
    const full: OutputFiles = {
      ...nodeOutputFiles,
      writeFile: async (path, data) => {
        // The folder check's probe passes; the second image's temporary file fills the disk.
        if (path.endsWith('.tmp') && ++imageWrites > 1) {
          await nodeOutputFiles.writeFile(path, data.subarray(0, 16));
          throw fsError('ENOSPC');
        }
        return nodeOutputFiles.writeFile(path, data);
      },
    };
    const run = await yonosWith({ outputFiles: full }, 'upscale', ...three(), '-o', out, '--model', model);
    expect(run.code).toBe(1);
    // The third image was not attempted.
    expect(imageWrites).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('warning: '))).toEqual([
      expect.stringMatching(/^warning: skipped '.*pic\.webp': Cannot write '.*disk-full\/pic_x4\.webp': the disk is full \(ENOSPC\)\. Stopping: the other images could not be written either\.$/),
    ]);
    expect(lines.at(-1)).toMatch(
      /^error: Stopped: cannot write '.*disk-full\/pic_x4\.webp': the disk is full \(ENOSPC\)\. 1 of 3 images were written and are complete; not written: .*pic\.webp, .*rgba\.png\. Free some space on the disk that holds '.*disk-full' \(or pass an --out on another disk\), then: Rerun the same command to upscale the remaining 2: the 1 written are kept and skipped/,
    );
    expect(run.stderr).not.toMatch(/unexpected|Fix or remove/);
    expect(run.stdout).toMatch(/^Upscaled 1 image x4 /);
    // The finished image is intact; no temporary file is left behind.
    expect(await files(out)).toEqual(['photo_x4.jpg']);
    expect((await readFile(join(out, 'photo_x4.jpg'))).equals(expected.get('photo_x4.jpg')!)).toBe(true);

    const rerun = await yonos('upscale', ...three(), '-o', out, '--model', model);
    expect(rerun.code).toBe(0);
    expect(await bytesOf(out)).toEqual(expected);
  });

  it('checks the output folder before the model loads: under a file, not creatable, not writable are clear errors', async () => {
    const photo = join(input, 'photo.jpg');
    const load = vi.spyOn(YonosPipeline, 'fromPretrained');
    try {
      const underFile = await yonos('upscale', photo, '-o', join(photo, 'out'), '--model', model);
      expect(underFile.code).toBe(1);
      expect(underFile.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^error: The output folder '.*photo\.jpg\/out' cannot be created: '.*in\/photo\.jpg' is a file, not a folder\. Pass an --out that is a folder or a new path\.$/),
      ]);
      const noCreate = await yonosWith({ outputFiles: { ...nodeOutputFiles, mkdir: () => Promise.reject(fsError('EACCES')) } }, 'upscale', photo, '-o', join(root, 'no-create'), '--model', model);
      expect(noCreate.code).toBe(1);
      expect(noCreate.stderr.trim()).toMatch(/^error: The output folder '.*no-create' cannot be created: permission denied \(EACCES\)\. Pass an --out in a folder you can write to\.$/);
      const noWrite = await yonosWith({ outputFiles: { ...nodeOutputFiles, writeFile: () => Promise.reject(fsError('EACCES')) } }, 'upscale', photo, '-o', join(root, 'no-write'), '--model', model);
      expect(noWrite.code).toBe(1);
      expect(noWrite.stderr.trim()).toMatch(/^error: Cannot write in the output folder '.*no-write': permission denied \(EACCES\)\. Pass an --out you can write to, or change its permissions\.$/);
      expect(load).not.toHaveBeenCalled();
    } finally {
      load.mockRestore();
    }
  });

  it('names the GIFs and other files of a folder it does not read; an animation gives its first frame, and says so', async () => {
    const dir = join(root, 'animated');
    await mkdir(dir);
    // Three 8x6 frames stacked: an animated GIF and an animated WebP.
    const frames = Buffer.from(Array.from({ length: 8 * 18 * 3 }, (_, i) => (i * 37) & 255));
    const raw = { raw: { width: 8, height: 18, channels: 3 as const, pageHeight: 6 } };
    await sharp(frames, raw).gif({ delay: [100, 100, 100] }).toFile(join(dir, 'anim.gif'));
    await sharp(frames, raw).webp({ delay: [100, 100, 100], lossless: true }).toFile(join(dir, 'moving.webp'));
    await writeImage(join(dir, 'still.png'), testImage(6, 5, 5));
    await writeFile(join(dir, 'readme.txt'), 'not an image');

    const folder = await yonos('upscale', dir, '-o', join(root, 'animated-out'), '--model', model);
    expect(folder.code).toBe(0);
    expect(await files(join(root, 'animated-out'))).toEqual(['moving_x4.webp', 'still_x4.png']);
    expect(folder.stderr).toMatch(/^.*moving\.webp -> .*moving_x4\.webp \(32x24\) \(first of 3 frames only: animations are not upscaled\)$/m);
    expect(folder.stdout).toMatch(/^Used only the first frame of 1 animated image: .*moving\.webp\.$/m);
    expect(folder.stdout).toMatch(/^Ignored 2 files in the input folders and patterns that are not PNG, JPEG or WebP: .*animated\/anim\.gif, .*animated\/readme\.txt\.$/m);

    const gif = await yonos('upscale', join(dir, 'anim.gif'), '-o', join(root, 'gif-out'), '--model', model);
    expect(gif.code).toBe(0);
    expect(gif.stdout).toMatch(/^Used only the first frame of 1 animated image: .*anim\.gif\.$/m);
    expect(gif.stdout).not.toMatch(/Ignored/);
    const image = await readImage(join(root, 'gif-out', 'anim_x4.png'));
    expect([image.width, image.height]).toEqual([32, 24]);
  });

  it('prints help with every option, and the global ones', async () => {
    const help = await yonos('upscale', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: yonos upscale [options] <inputs...>');
    for (const option of ['--out', '--scale', '--steps', '--tile', '--memory', '--seed', '--model', '--format', '--quality', '--overwrite', '--progress', '--backend']) {
      expect(help.stdout).toContain(option);
    }
    expect((await yonos('--help')).stdout).toMatch(/upscale \[options\] <inputs\.\.\.>/);
  });
});
