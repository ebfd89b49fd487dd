/**
 * Time per stage of the YONOS pipeline (bicubic + encode, U-Net, scheduler, decode) for
 * 1 vs 200 DDIM steps, and the end-to-end ratio, with the tiny diffusers fixture models.
 *
 *   cd packages/yonos
 *   node --conditions=source --import tsx bench/pipeline-stages.bench.ts [--backend wasm] [--size 32] [--steps 1,200]
 *   node --conditions=source --import tsx bench/pipeline-stages.bench.ts --large   # one 2048 x 2048 output, tiled
 *
 * Stage times are wall-clock around each synchronous call: exact on cpu and wasm, whose
 * kernels run synchronously. On webgpu (no synchronous readback in Node) they are dispatch
 * times only; the end-to-end time, which awaits the result, is exact everywhere.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@yonos/core';
import type { BackendName, Denoiser, LatentCodec, LatentPosterior, NoiseScheduler, SchedulerStepOutput } from '@yonos/core';
import { AutoencoderKL } from '@yonos/vae';
import { UNet2DConditionModel } from '@yonos/unet';
import { YonosPipeline, defaultYonosScheduler } from '@yonos/sampler';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '../../../../fixtures/diffusers');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Accumulated milliseconds and calls per stage. */
class Clock {
  readonly totals = new Map<string, { ms: number; calls: number }>();
  time<T extends tf.Tensor | LatentPosterior | SchedulerStepOutput>(stage: string, fn: () => T): T {
    const t0 = performance.now();
    const out = fn();
    const entry = this.totals.get(stage) ?? { ms: 0, calls: 0 };
    entry.ms += performance.now() - t0;
    entry.calls += 1;
    this.totals.set(stage, entry);
    return out;
  }
  reset(): void {
    this.totals.clear();
  }
}

function timedCodec(codec: LatentCodec, clock: Clock): LatentCodec {
  return {
    latentChannels: codec.latentChannels,
    downsampleFactor: codec.downsampleFactor,
    scalingFactor: codec.scalingFactor,
    shiftFactor: codec.shiftFactor,
    encode: (x) => clock.time('encode', () => codec.encode(x)),
    decode: (z) => clock.time('decode', () => codec.decode(z)),
    // The real model's estimate, so tile sizes are those of an untimed run.
    estimateMemory: (image, options) => codec.estimateMemory(image, options),
  };
}

function timedDenoiser(unet: Denoiser, clock: Clock): Denoiser {
  return {
    inChannels: unet.inChannels,
    outChannels: unet.outChannels,
    downsampleFactor: unet.downsampleFactor,
    ...(unet.crossAttentionDim !== undefined ? { crossAttentionDim: unet.crossAttentionDim } : {}),
    forward: (x, t, c) => clock.time('unet', () => unet.forward(x, t, c)),
    estimateMemory: (sample, options) => unet.estimateMemory(sample, options),
  };
}

function timedScheduler(scheduler: NoiseScheduler, clock: Clock): NoiseScheduler {
  return {
    get numTrainTimesteps() {
      return scheduler.numTrainTimesteps;
    },
    get predictionType() {
      return scheduler.predictionType;
    },
    get timesteps() {
      return scheduler.timesteps;
    },
    get initNoiseSigma() {
      return scheduler.initNoiseSigma;
    },
    setTimesteps: (n) => scheduler.setTimesteps(n),
    step: (out, t, x) => clock.time('scheduler', () => scheduler.step(out, t, x)),
    addNoise: (a, b, t) => scheduler.addNoise(a, b, t),
    getVelocity: (a, b, t) => scheduler.getVelocity(a, b, t),
  };
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm') as BackendName;
  const large = process.argv.includes('--large');
  const size = Number(arg('size', large ? '512' : '32'));
  const stepCounts = arg('steps', large ? '1' : '1,200').split(',').map(Number);
  const budget = Number(arg('budget', '1024'));
  await useBackend(backend);
  const clock = new Clock();
  const vae = await AutoencoderKL.fromPretrained(`${FIXTURES}/vae-tiny`);
  const unet = await UNet2DConditionModel.fromPretrained(`${FIXTURES}/unet-sd2-tiny`);
  const pipe = new YonosPipeline({
    vae: timedCodec(vae, clock),
    unet: timedDenoiser(unet, clock),
    scheduler: timedScheduler(defaultYonosScheduler(), clock),
  });
  const lr = tf.tidy(() => tf.sub(tf.mul(tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 1), 2), 1) as tf.Tensor4D);
  const tile = { memoryBudgetMB: budget };
  const tiling = pipe.tiling(size, size, { tile });
  console.log(`backend ${tf.getBackend()}, LR ${size}x${size} -> ${size * 4}x${size * 4}, tiny fixture models, budget ${budget} MiB`);
  console.log(
    `tiling: VAE ${tiling.vaeTiles} tile(s) of ${tiling.vaeTileSize} px, U-Net ${tiling.latentTiles} tile(s) of ${tiling.latentTileSize} latent px`,
  );

  // Warm-up (kernels compile, memory pools fill on first calls), at full size unless --large.
  const side = large ? 8 : size;
  const warm = tf.slice(lr, [0, 0, 0, 0], [1, side, side, 3]) as tf.Tensor4D;
  tf.dispose([await pipe.run(warm, { steps: 1 }), warm]);
  const results: Array<{ steps: number; total: number }> = [];
  for (const steps of stepCounts) {
    clock.reset();
    const startTensors = tf.memory().numTensors;
    const t0 = performance.now();
    const out = await pipe.run(lr, { steps, tile, seed: 1 });
    await out.data();
    const total = performance.now() - t0;
    out.dispose();
    results.push({ steps, total });
    console.log(`\n${steps} step(s): end to end ${total.toFixed(0)} ms (tensors left: ${tf.memory().numTensors - startTensors})`);
    let staged = 0;
    for (const [stage, { ms, calls }] of clock.totals) {
      staged += ms;
      console.log(`  ${stage.padEnd(10)} ${ms.toFixed(1).padStart(10)} ms  ${String(calls).padStart(5)} call(s)  ${(ms / calls).toFixed(2).padStart(9)} ms/call`);
    }
    console.log(`  ${'other'.padEnd(10)} ${(total - staged).toFixed(1).padStart(10)} ms  (bicubic, padding, tile blending, concat)`);
    if (large) console.log(`  peak memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  }
  if (results.length >= 2) {
    const [a, b] = [results[0]!, results.at(-1)!];
    console.log(`\nend-to-end ratio ${b.steps} / ${a.steps} step(s): ${(b.total / a.total).toFixed(1)}x`);
  }
  lr.dispose();
  pipe.dispose({ components: false });
  vae.dispose();
  unet.dispose();
}

await main();
