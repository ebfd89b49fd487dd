/**
 * Training throughput of the four YONOS stages for the tiny example configs and the recipe
 * (`examples/configs/*-tiny.json`, `examples/configs/recipe/*.json`): seconds per step,
 * samples/s, and the achieved GFLOP/s (FLOPs counted analytically from the model configs),
 * next to the raw conv2d GFLOP/s of the same backend measured in the same run (core's
 * `measureConvThroughput`, before and after). Data are synthetic crops of the configs' size
 * (no disk reads); models are built from the configs' `config` entries and seeded. Run from
 * the repository root:
 *
 *   npx tsx --conditions=source packages/distill/bench/train.bench.ts [--backend wasm] [--sets tiny,recipe] [--steps 3] [--stages vae,sr,distill,decoder]
 *
 * FLOPs per step, from the forward counts `unetFlops` / `autoencoderKLFlops` (batch `n`):
 * - vae:     3 (enc + dec)                  (forward + backward ~ 3 forwards)
 * - sr:      3 unet + 2 enc                 (HR and upsampled LR are encoded, frozen)
 * - distill: 3 unet + 1 unet + 3 enc        (student trained, teacher forward, 3 frozen encodes)
 * - decoder: 3 dec + 1 unet + 1 enc         (decoder trained; U-Net and encoder frozen)
 * AdamW, EMA, degradations and norms are not counted, so the achieved figure is a lower bound.
 *
 * Not a test: numbers depend on the machine and its load. Imports `@yonos/vae`, `@yonos/unet`,
 * `@yonos/sampler` and `@yonos/degrade` for the concrete models (bench only; the package itself
 * depends on `@yonos/core` alone).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, measureConvThroughput, useBackend } from '@yonos/core';
import type { BackendName, ConvThroughput } from '@yonos/core';
import { BicubicDegradation, makeDistillationPair } from '@yonos/degrade';
import { DDIMScheduler, YONOS_SCHEDULER_CONFIG } from '@yonos/sampler';
import { UNet2DConditionModel, unetFlops } from '@yonos/unet';
import { AutoencoderKL, autoencoderKLFlops } from '@yonos/vae';
import { createDecoderStage, createDistillStage, createSrStage, createVaeStage, runStage } from '../src/index.js';
import type { HrBatchSource, Stage } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIGS = join(HERE, '..', '..', '..', 'examples', 'configs');
const backend = arg('backend', 'wasm') as BackendName;
const sets = arg('sets', 'tiny,recipe').split(',');
const stages = arg('stages', 'vae,sr,distill,decoder').split(',');
const measured = Number(arg('steps', '3'));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function read(file: string): Json {
  return JSON.parse(readFileSync(join(CONFIGS, file), 'utf8')) as Json;
}

/** The config files of a set: tiny examples or the recipe. */
function files(set: string): Record<'vae' | 'sr' | 'distill' | 'decoder', string> {
  return set === 'tiny'
    ? { vae: 'vae-tiny.json', sr: 'sr-x2-tiny.json', distill: 'distill-tiny.json', decoder: 'decoder-tiny.json' }
    : { vae: 'recipe/vae.json', sr: 'recipe/sr-x2.json', distill: 'recipe/distill.json', decoder: 'recipe/decoder.json' };
}

/** Seeded smooth random crops in [0, 1], generated on the fly (batch i is a function of i). */
function syntheticCrops(batch: number, size: number): HrBatchSource {
  return {
    batch: async (i) =>
      tf.tidy(() => {
        const rng = createRng(17).fork(i);
        const base = tf.image.resizeBilinear(rng.uniform([batch, size / 8, size / 8, 3]) as tf.Tensor4D, [size, size]);
        return tf.clipByValue(tf.add(base, rng.uniform([batch, size, size, 3], -0.05, 0.05)), 0, 1) as tf.Tensor4D;
      }),
  };
}

interface Row {
  readonly set: string;
  readonly stage: string;
  readonly batch: number;
  readonly crop: number;
  readonly params: number;
  readonly secondsPerStep: number;
  readonly gflopPerStep: number;
}

async function bench(set: string, kind: 'vae' | 'sr' | 'distill' | 'decoder'): Promise<Row> {
  const f = files(set);
  const vaeConfig = read(f.vae).models.vae.config as Json;
  const unetConfig = read(f.sr).models.unet.config as Json;
  const cfg = read(f[kind]);
  const batch = cfg.data.batch_size as number;
  const crop = cfg.data.crop_size as number;
  const rng = createRng(1);
  const vae = AutoencoderKL.fromConfig(vaeConfig).initialize(rng.fork('vae'));
  const unet = UNet2DConditionModel.fromConfig(unetConfig).initialize(rng.fork('unet'));
  const teacher = UNet2DConditionModel.fromConfig(unetConfig).initialize(rng.fork('teacher'));
  const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
  const data = syntheticCrops(batch, crop);
  const degradation = new BicubicDegradation();
  const f8 = vae.downsampleFactor;
  const vf = autoencoderKLFlops(vaeConfig, [crop, crop], batch);
  const uf = unetFlops(unet, { batch, height: crop / f8, width: crop / f8, contextLength: 1 }).total;
  let stage: Stage<tf.TensorContainer>;
  let flops: number;
  let params: number;
  switch (kind) {
    case 'vae':
      stage = createVaeStage({ codec: vae, data }) as Stage<tf.TensorContainer>;
      flops = 3 * vf.total;
      params = vae.numParameters();
      break;
    case 'sr':
      stage = createSrStage({ codec: vae, unet, scheduler, data, degradation, scale: 2, snrGamma: 5 }) as Stage<tf.TensorContainer>;
      flops = 3 * uf + 2 * vf.encode;
      params = unet.numParameters();
      break;
    case 'distill': {
      const scale = (cfg.stages as Json[])[0]!.scale as number;
      stage = createDistillStage({
        codec: vae,
        student: unet,
        teacher: teacher.freeze(),
        scheduler,
        data,
        makePair: (hr, factor, r) => makeDistillationPair(hr, factor, degradation, r),
        scale,
      }) as Stage<tf.TensorContainer>;
      flops = 4 * uf + 3 * vf.encode;
      params = unet.numParameters();
      break;
    }
    case 'decoder':
      stage = createDecoderStage({ codec: vae, unet: unet.freeze(), scheduler, data, degradation, scale: cfg.scale as number }) as Stage<tf.TensorContainer>;
      flops = 3 * vf.decode + uf + vf.encode;
      params = vae.parameters().filter((p) => p.trainable).reduce((s, p) => s + p.size, 0);
      break;
  }
  const times: number[] = [];
  try {
    await runStage(stage, {
      seed: 3,
      maxSteps: measured + 1,
      optimizer: { lr: 1e-5 },
      ema: { decay: 0.999 },
      resume: false,
      onProgress: (e) => {
        if (e.stage === 'train') times.push(performance.now());
      },
    });
  } finally {
    for (const m of [vae, unet, teacher]) m.dispose();
  }
  // The first step (kernel compilation, allocation) is the warm-up; time the rest.
  const secondsPerStep = (times[times.length - 1]! - times[0]!) / 1000 / (times.length - 1);
  return { set, stage: kind, batch, crop, params, secondsPerStep, gflopPerStep: flops / 1e9 };
}

await useBackend(backend);
const convBefore: ConvThroughput = await measureConvThroughput(backend, undefined, 2000);
console.log(`backend ${tf.getBackend()} on ${os.cpus()[0]?.model ?? 'unknown cpu'} (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`);
console.log(`raw conv2d (8x32x32x64 -> 64, 3x3): ${convBefore.gflops.toFixed(2)} GFLOP/s`);
const rows: Row[] = [];
for (const set of sets) {
  for (const kind of stages as Array<'vae' | 'sr' | 'distill' | 'decoder'>) {
    const row = await bench(set, kind);
    rows.push(row);
    const achieved = row.gflopPerStep / row.secondsPerStep;
    console.log(
      `${row.set.padEnd(6)} ${row.stage.padEnd(7)} batch ${String(row.batch).padStart(2)} x ${row.crop}px  trained params ${(row.params / 1e6).toFixed(2)} M  ` +
        `${row.secondsPerStep.toFixed(2)} s/step  ${(row.batch / row.secondsPerStep).toFixed(2)} samples/s  ` +
        `${row.gflopPerStep.toFixed(1)} GFLOP/step  ${achieved.toFixed(2)} GFLOP/s achieved (${((100 * achieved) / convBefore.gflops).toFixed(0)}% of raw conv)`,
    );
  }
}
const convAfter = await measureConvThroughput(backend, undefined, 2000);
console.log(`raw conv2d after: ${convAfter.gflops.toFixed(2)} GFLOP/s`);
