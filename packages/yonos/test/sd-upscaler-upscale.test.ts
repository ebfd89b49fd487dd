// `yonos upscale` on a Stable Diffusion x4 upscaler folder (the tiny fixture): one step at
// t = 999 and N steps give the library pipeline's bytes, as do tiles and a folder served over
// HTTP; outputs, progress, Ctrl-C and kept outputs behave as for YONOS folders; options that do
// not fit the folder are refused before anything loads.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import { writeImage } from '@yonos/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { readModelFolder } from '../src/cli/upscale/model-folder.js';
import { parseUpscaleOptions } from '../src/cli/upscale/options.js';
import type { UpscaleEvent } from '../src/cli/upscale/progress.js';
import { checkModelOptions, MissingPromptEmbeddingsError } from '../src/cli/upscale/upscaler-options.js';
import { Capture, testImage, yonos } from './helpers.js';
import { UPSCALER_FIXTURE, libraryPng, serveFolders, writeEmbeddingFiles } from './sd-upscaler-fixture.js';
import { saveTinyPipeline } from './tiny-pipeline.js';

let root: string;
let input: string;
let embeds: { both: string; promptOnly: string };

/** 16x12 RGB (a side that is not a multiple of the latent multiple 8) and 8x8 RGBA. */
const PHOTO = 'photo.png';
const ALPHA = 'alpha.png';

async function bytesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) out.set(name, await readFile(join(dir, name)));
  return out;
}

beforeAll(async () => {
  await useBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'yonos-sd-upscale-'));
  input = join(root, 'in');
  await mkdir(input);
  await writeImage(join(input, PHOTO), testImage(16, 12, 1));
  const rgb = testImage(8, 8, 2);
  const rgba = new Uint8Array(8 * 8 * 4);
  for (let p = 0; p < 64; p++) {
    rgba.set(rgb.data.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = (p % 8) * 36;
  }
  await writeImage(join(input, ALPHA), { data: rgba, width: 8, height: 8, channels: 4, bitDepth: 8 });
  embeds = await writeEmbeddingFiles(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('yonos upscale on a StableDiffusionUpscalePipeline folder', () => {
  it('--steps 1: one DDIM step at t = 999 onto z_0, the bytes of the library pipeline; alpha kept; no tensors left', async () => {
    const out = join(root, 'one-step');
    await yonos('upscale', join(input, PHOTO), '-o', join(root, 'warm'), '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly);
    const tensors = tf.memory().numTensors;
    const run = await yonos('upscale', input, '-o', out, '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--steps', '1', '--seed', '3');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(run.stdout).toMatch(/^Upscaled 2 images x4 into .*one-step: steps 1, seed 3, yonos schedule, noise level 20, guidance 1, backend wasm, model .*sd-x4-upscaler-tiny\.$/m);
    const written = await bytesOf(out);
    expect([...written.keys()]).toEqual(['alpha_x4.png', 'photo_x4.png']);
    for (const name of [PHOTO, ALPHA]) {
      const expected = await libraryPng(UPSCALER_FIXTURE, join(input, name), { steps: 1, guidanceScale: 1, noiseLevel: 20, seed: 3 }, { promptEmbeddings: embeds.promptOnly });
      expect(written.get(name.replace('.png', '_x4.png'))!.equals(expected)).toBe(true);
    }
    // Control: the checkpoint's own schedule (one step at t = 1) gives other bytes.
    const own = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 1, guidanceScale: 1, noiseLevel: 20, seed: 3 }, { promptEmbeddings: embeds.promptOnly, ownScheduler: true });
    expect(written.get('photo_x4.png')!.equals(own)).toBe(false);
  });

  it('--steps N with guidance and a noise level; --schedule model keeps the folder\'s own spacing; the same bytes as the library', async () => {
    const guided = join(root, 'guided');
    const run = await yonos('upscale', join(input, PHOTO), '-o', guided, '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.both, '--steps', '3', '--guidance', '4', '--noise-level', '50', '--seed', '5');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(': steps 3, seed 5, yonos schedule, noise level 50, guidance 4, backend wasm');
    const expected = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 3, guidanceScale: 4, noiseLevel: 50, seed: 5 }, { promptEmbeddings: embeds.both });
    expect((await readFile(join(guided, 'photo_x4.png'))).equals(expected)).toBe(true);

    const own = join(root, 'own-schedule');
    const model = await yonos('upscale', join(input, PHOTO), '-o', own, '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--steps', '2', '--schedule', 'model');
    expect(model.code).toBe(0);
    expect(model.stdout).toContain(': steps 2, seed 0, model schedule, noise level 20, guidance 1,');
    const leading = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 2, guidanceScale: 1, seed: 0 }, { promptEmbeddings: embeds.promptOnly, ownScheduler: true });
    expect((await readFile(join(own, 'photo_x4.png'))).equals(leading)).toBe(true);
  });

  it("guides by default (diffusers' 9) when the embeddings hold a negative prompt, not without one", async () => {
    const out = join(root, 'default-guidance');
    const run = await yonos('upscale', join(input, PHOTO), '-o', out, '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.both);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('noise level 20, guidance 9,');
    const expected = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 1, guidanceScale: 9, noiseLevel: 20, seed: 0 }, { promptEmbeddings: embeds.both });
    expect((await readFile(join(out, 'photo_x4.png'))).equals(expected)).toBe(true);
  });

  it('--tile and --memory tile as the library does with the same tile sizes', async () => {
    const out = join(root, 'tiled');
    const run = await yonos('upscale', join(input, PHOTO), '-o', out, '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--tile', '32');
    expect(run.code).toBe(0);
    const tiled = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 1, guidanceScale: 1, seed: 0, tile: { vaeTileSize: 32, latentTileSize: 8 } }, { promptEmbeddings: embeds.promptOnly });
    const whole = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 1, guidanceScale: 1, seed: 0, tile: false }, { promptEmbeddings: embeds.promptOnly });
    const bytes = await readFile(join(out, 'photo_x4.png'));
    expect(bytes.equals(tiled)).toBe(true);
    expect(bytes.equals(whole)).toBe(false); // the tiles are really used
    const bad = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'bad-tile'), '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--tile', '40');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tile 40 is not a multiple of 32 \(this model's VAE factor 4 x latent multiple 8\): pass 32 or 64/);
    const tight = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'tight'), '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--memory', '16');
    expect(tight.code).toBe(0);
    const budget = await libraryPng(UPSCALER_FIXTURE, join(input, PHOTO), { steps: 1, guidanceScale: 1, seed: 0, tile: { memoryBudgetMB: 16 } }, { promptEmbeddings: embeds.promptOnly });
    expect((await readFile(join(root, 'tight', 'photo_x4.png'))).equals(budget)).toBe(true);
  });

  it('Ctrl-C after an image, then the rerun keeps it and finishes: the bytes of one run; --progress json counts denoise then decode', async () => {
    const options = ['-o', '', '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--steps', '2'];
    const reference = join(root, 'reference');
    options[1] = reference;
    expect((await yonos('upscale', input, ...options)).code).toBe(0);
    const out = join(root, 'resumed');
    options[1] = out;
    const stdout = new Capture();
    const write = stdout.write.bind(stdout);
    stdout.write = (chunk: string) => {
      const result = write(chunk);
      if (chunk.includes('"event":"written"')) process.emit('SIGINT');
      return result;
    };
    const stderr = new Capture();
    const io: CliIO = { stdout, stderr };
    const listeners = process.listenerCount('SIGINT');
    const code = await runCli(['upscale', input, ...options, '--progress', 'json'], io);
    expect(code).toBe(1);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    expect(stderr.text).toMatch(/^error: Interrupted \(Ctrl-C\) at '.*photo\.png': 1 of 2 images written\. Rerun the same command/m);
    const events = stdout.text.trim().split('\n').map((line) => JSON.parse(line) as UpscaleEvent);
    const progress = events.filter((e): e is Extract<UpscaleEvent, { event: 'progress' }> => e.event === 'progress' && e.index === 0);
    // read, two U-Net steps (one tile each), one decode tile.
    expect(progress.map((e) => [e.stage, e.completed, e.total])).toEqual([
      ['read', 0, 3],
      ['denoise', 1, 3],
      ['denoise', 2, 3],
      ['decode', 3, 3],
    ]);
    expect(events.find((e) => e.event === 'written')).toMatchObject({ output: join(out, 'alpha_x4.png'), width: 32, height: 32 });

    const rerun = await yonos('upscale', input, ...options);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(/^Kept 1 output that existed already .*: alpha_x4\.png\.$/m);
    expect(await bytesOf(out)).toEqual(await bytesOf(reference));
  });

  it('loads the folder and the embeddings from a local server laid out as Hugging Face serves them: the bytes of the local folder', async () => {
    const server = await serveFolders({ '/stabilityai/sd-x4-upscaler-tiny/resolve/main/': UPSCALER_FIXTURE, '/embeds/': root });
    try {
      const url = `${server.origin}/stabilityai/sd-x4-upscaler-tiny/resolve/main/`;
      const remote = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'remote'), '--model', url, '--prompt-embeds', `${server.origin}/embeds/prompt-only.safetensors`, '--seed', '2');
      expect(remote.code).toBe(0);
      expect(remote.stdout).toContain(`model ${url}.`);
      expect(server.requested.some((p) => p.includes('text_encoder') || p.includes('tokenizer'))).toBe(false);
      const local = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'local'), '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, '--seed', '2');
      expect(local.code).toBe(0);
      expect((await readFile(join(root, 'remote', 'photo_x4.png'))).equals(await readFile(join(root, 'local', 'photo_x4.png')))).toBe(true);
      const missing = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'never'), '--model', `${server.origin}/nobody/nothing/resolve/main/`);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: cannot fetch .*nobody\/nothing\/resolve\/main\/model_index\.json: HTTP 404/);
    } finally {
      await server.close();
    }
  });
});

describe('yonos upscale on an upscaler folder: options that do not fit are refused before anything loads', () => {
  it('no prompt embeddings in the folder and no --prompt-embeds: MissingPromptEmbeddingsError, exit code 2', async () => {
    const folder = await readModelFolder(UPSCALER_FIXTURE);
    expect(folder).toMatchObject({ kind: 'upscaler', scale: 4 });
    expect(() => checkModelOptions(folder, parseUpscaleOptions({ out: 'o', steps: '1', seed: '0', quality: '95' }), 'm')).toThrow(MissingPromptEmbeddingsError);
    const run = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'no-embeds'), '--model', UPSCALER_FIXTURE);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^error: .*sd-x4-upscaler-tiny is a StableDiffusionUpscalePipeline folder without prompt embeddings: pass --prompt-embeds <file\.safetensors>/);
  });

  it('guidance without a negative prompt, a noise level above max_noise_level, --queue, --scale 8', async () => {
    const args = (out: string, ...more: string[]): string[] => ['upscale', join(input, PHOTO), '-o', join(root, out), '--model', UPSCALER_FIXTURE, '--prompt-embeds', embeds.promptOnly, ...more];
    const guidance = await yonos(...args('g', '--guidance', '3'));
    expect(guidance.code).toBe(2);
    expect(guidance.stderr).toMatch(/^error: --guidance 3 needs negative_prompt_embeds in the prompt embeddings/);
    const noise = await yonos(...args('n', '--noise-level', '351'));
    expect(noise.code).toBe(2);
    expect(noise.stderr).toMatch(/^error: --noise-level 351 is above this upscaler's max_noise_level 350/);
    const queue = await yonos(...args('q', '--queue', 'redis://127.0.0.1:1'));
    expect(queue.code).toBe(2);
    expect(queue.stderr).toMatch(/^error: --queue runs YonosPipeline folders; .* is a Stable Diffusion upscaler folder/);
    const scale = await yonos(...args('s', '--scale', '8'));
    expect(scale.code).toBe(2);
    expect(scale.stderr).toMatch(/^error: --scale 8 does not match the model, which upscales x4/);
    const schedule = await yonos(...args('x', '--schedule', 'leading'));
    expect(schedule.code).toBe(2);
    expect(schedule.stderr).toMatch(/--schedule.*yonos, model/);
  });

  it('the upscaler options with a YonosPipeline folder', async () => {
    const yonosModel = join(root, 'yonos-model');
    await saveTinyPipeline(yonosModel, 4);
    for (const option of [['--prompt-embeds', embeds.both], ['--guidance', '2'], ['--noise-level', '10'], ['--schedule', 'model']]) {
      const run = await yonos('upscale', join(input, PHOTO), '-o', join(root, 'y'), '--model', yonosModel, ...option);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^error: ${option[0]} only applies to a Stable Diffusion upscaler folder \\(StableDiffusionUpscalePipeline\\); .*yonos-model is a YonosPipeline folder\\.`));
    }
  });

  it('lists the upscaler options in the help', async () => {
    const help = await yonos('upscale', '--help');
    for (const option of ['--prompt-embeds <file>', '--noise-level <n>', '--guidance <scale>', '--schedule <kind>', '--model <folder|url>', 't = 999', 't = 1 only']) {
      expect(help.stdout.replace(/\s+/g, ' ')).toContain(option);
    }
  });
});
