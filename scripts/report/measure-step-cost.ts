/**
 * Wall time of one YONOS upscale with randomly initialized models of a given size, split into
 * VAE encode, U-Net steps and VAE decode, so the cost of a steps sweep can be sized before the
 * trained models exist. Models come from the `models.unet.config` / `models.vae.config` of the
 * training recipes (or plain diffusers `config.json` files).
 *
 *   npx tsx --conditions=source scripts/report/measure-step-cost.ts [--lr 64] [--scale 4] [--steps 1,4]
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AutoencoderKL, AutoencoderTiny, UNet2DModel, YonosPipeline, createRng, useBackend } from 'yonos';
import type { BackendName, ModelConfig, RawImage } from 'yonos';
import { integerListFlag, numberFlag, parseFlags, stringFlag } from '../data/lib/args.js';
import { ReportError } from './lib/errors.js';
import { median } from './lib/stats.js';

const USAGE = 'Usage: npx tsx --conditions=source scripts/report/measure-step-cost.ts [flags]';
const FLAGS = [
  { name: 'unet', help: 'recipe (models.unet.config) or diffusers config.json of the U-Net', default: 'examples/configs/recipe/sr-x2.json' },
  { name: 'vae', help: 'recipe (models.vae.config) or diffusers config.json of the VAE', default: 'examples/configs/recipe/vae.json' },
  { name: 'lr', help: 'LR side in pixels (the output side is lr * scale)', default: '64' },
  { name: 'scale', help: 'upscaling factor', default: '4' },
  { name: 'steps', help: 'comma-separated step counts to time (at least two, for the cost per step)', default: '1,4' },
  { name: 'repeats', help: 'timed runs per step count (the median is kept), after one untimed warm-up', default: '3' },
  { name: 'backend', help: 'tfjs backend', default: 'wasm' },
];

/** The diffusers config inside a recipe (`models.<role>.config`) or the file itself. */
async function readConfig(path: string, role: 'unet' | 'vae'): Promise<ModelConfig> {
  const json = JSON.parse(await readFile(resolve(path), 'utf8')) as { models?: Record<string, { config?: ModelConfig }> } & ModelConfig;
  const config = json.models?.[role]?.config ?? (json.models === undefined ? json : undefined);
  if (config === undefined) throw new ReportError(`${path} has no models.${role}.config: pass a recipe that builds the ${role} from a config, or its config.json.`);
  return config;
}

/** Seconds spent per stage of one run, from the pipeline's progress events. */
interface StageTimes {
  totalMs: number;
  encodeMs: number;
  denoiseMs: number;
  decodeMs: number;
}

async function timeOnce(pipe: YonosPipeline, lr: RawImage, steps: number, scale: number): Promise<StageTimes> {
  const marks: Array<{ stage: string; at: number }> = [];
  const t0 = performance.now();
  await pipe.upscale(lr, { steps, scale, seed: 0, tile: false, onProgress: (e) => marks.push({ stage: e.stage, at: performance.now() }) });
  const total = performance.now() - t0;
  // The progress events fire when a stage's work is done (wasm runs ops synchronously), so
  // each stage lasts from the previous stage's last event to its own last event.
  const lastOf = (stage: string): number => marks.filter((m) => m.stage === stage).at(-1)?.at ?? t0;
  const encodeEnd = lastOf('encode');
  const denoiseEnd = lastOf('denoise');
  return { totalMs: total, encodeMs: encodeEnd - t0, denoiseMs: denoiseEnd - encodeEnd, decodeMs: lastOf('decode') - denoiseEnd };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags === undefined) return;
  const side = numberFlag(flags, 'lr', { integer: true, min: 1 });
  const scale = numberFlag(flags, 'scale', { integer: true, min: 1 });
  const stepCounts = integerListFlag(flags, 'steps');
  const repeats = numberFlag(flags, 'repeats', { integer: true, min: 1 });
  if (new Set(stepCounts).size < 2) throw new ReportError('--steps needs at least two different step counts to measure the cost of one step.');
  const info = await useBackend(stringFlag(flags, 'backend') as BackendName);
  const rng = createRng(0);
  const unetConfig = await readConfig(stringFlag(flags, 'unet'), 'unet');
  const vaeConfig = await readConfig(stringFlag(flags, 'vae'), 'vae');
  const unet = UNet2DModel.fromConfig(unetConfig).initialize(rng.fork('unet'));
  const vae =
    vaeConfig['_class_name'] === 'AutoencoderTiny'
      ? AutoencoderTiny.fromConfig(vaeConfig).initialize(rng.fork('vae'))
      : AutoencoderKL.fromConfig(vaeConfig).initialize(rng.fork('vae'));
  const pipe = new YonosPipeline({ vae, unet, scale });
  const data = new Uint8Array(side * side * 3);
  const noise = createRng(1);
  const uniform = noise.uniform([data.length]);
  const u = await uniform.data();
  uniform.dispose();
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(u[i]! * 256);
  const lr: RawImage = { data, width: side, height: side, channels: 3, bitDepth: 8 };

  console.log(`${info.name}${info.wasm ? ` (threads ${info.wasm.threads}, simd ${info.wasm.simd})` : ''}; LR ${side}x${side} x${scale} -> ${side * scale}x${side * scale}, latent ${pipe.latentShape(side, side).slice(1).join('x')}`);
  await timeOnce(pipe, lr, 1, scale);
  const rows: Array<{ steps: number } & StageTimes> = [];
  for (const steps of stepCounts) {
    const runs: StageTimes[] = [];
    for (let r = 0; r < repeats; r++) runs.push(await timeOnce(pipe, lr, steps, scale));
    const pick = (k: keyof StageTimes) => median(runs.map((x) => x[k]));
    const row = { steps, totalMs: pick('totalMs'), encodeMs: pick('encodeMs'), denoiseMs: pick('denoiseMs'), decodeMs: pick('decodeMs') };
    rows.push(row);
    console.log(`steps ${steps}: total ${row.totalMs.toFixed(0)} ms (encode ${row.encodeMs.toFixed(0)}, denoise ${row.denoiseMs.toFixed(0)}, decode ${row.decodeMs.toFixed(0)}), median of ${repeats}`);
  }
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const perStep = (last.totalMs - first.totalMs) / (last.steps - first.steps);
  console.log(`per extra step: ${perStep.toFixed(0)} ms (from the totals), ${(last.denoiseMs / last.steps).toFixed(0)} ms (denoise stage at ${last.steps} steps)`);
  console.log(`so 200 steps ~ ${((first.totalMs + 199 * perStep) / 1000).toFixed(1)} s per image`);
  pipe.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof ReportError ? `error: ${error.message}` : error);
  process.exit(1);
});
