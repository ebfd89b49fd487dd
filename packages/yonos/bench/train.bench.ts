/**
 * Training throughput of the YONOS stages for the tiny example configs and the recipe
 * (`examples/configs/*-tiny.json`, `examples/configs/recipe/*.json`), per wasm thread count:
 * ms per step, samples/s and the achieved GFLOP/s (FLOPs counted analytically from the model
 * configs), as a share of the raw conv2d GFLOP/s of the same backend and thread count measured
 * in the same process (core's `measureConvThroughput`), and the speedup of all threads over
 * one. Data are synthetic crops of the configs' size (no disk reads); the models are built as
 * `yonos train` builds them (the VAE and U-Net classes from the configs' `_class_name`, the
 * `init` scheme, the stage options of the configs' `loss` and `optimizer` sections) and seeded.
 * Run from the repository root (or `npm run bench` in packages/distill):
 *
 *   npx tsx --conditions=source packages/yonos/bench/train.bench.ts [--backend wasm] [--sets tiny,recipe]
 *     [--stages vae,sr,distill,direct,decoder] [--steps 3] [--threads 1,all] [--profile [--profile-steps 3] [--top 18]]
 *
 * A wasm thread count is fixed per process, so for several counts (default `1,all`: one thread
 * and every core) the bench runs itself once per count as a child process (`--threads N`) and
 * prints the children's figures side by side. `--profile` adds profiled steps per stage (3 by
 * default; each kernel's least time over them, see `kernel-profile.ts`): the self time of every
 * kernel, with the time outside kernels (autodiff bookkeeping, JS) as `(outside kernels)`, per
 * thread count, and whether tfjs-backend-wasm runs the kernel on its thread pool (XNNPACK) or
 * on the calling thread only; the serial share bounds the speedup threads can give (Amdahl).
 *
 * FLOPs per step, from the forward counts `unetFlops` and `autoencoderKLFlops` /
 * `autoencoderTinyFlops` (batch `n`):
 * - vae:     3 (enc + dec)                  (forward + backward ~ 3 forwards)
 * - sr, direct: 3 unet + 2 enc              (HR and upsampled LR are encoded, frozen)
 * - distill: 3 unet + 1 unet + 3 enc        (student trained, teacher forward, 3 frozen encodes)
 * - decoder: 3 dec + 1 unet + 1 enc         (decoder trained; U-Net and encoder frozen)
 * AdamW, EMA, degradations and norms are not counted, so the achieved figure is a lower bound.
 *
 * Not a test: numbers depend on the machine and its load; compare them within one run only.
 * Imports `@yonos/vae`, `@yonos/unet`, `@yonos/sampler` and `@yonos/degrade` for the concrete
 * models (bench only; the package itself depends on `@yonos/core` alone).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import { convFlops, measureConvThroughput } from '@yonos/core/internal';
import type { BackendName, ModelConfig, Rng } from '@yonos/core';
import { BicubicDegradation, makeDistillationPair } from '@yonos/degrade';
import { DDIMScheduler, YONOS_SCHEDULER_CONFIG } from '@yonos/sampler';
import { UNet2DConditionModel, UNet2DModel, unetFlops } from '@yonos/unet';
import { AutoencoderKL, AutoencoderTiny, autoencoderKLFlops, autoencoderTinyFlops } from '@yonos/vae';
import {
  createDecoderStage,
  createDistillStage,
  createSrStage,
  createVaeStage,
  decoderChannelWeights,
  diffusionLossOptions,
  readTrainConfig,
  runStage,
  yonosOneStepLatent,
} from '@yonos/distill';
import type { HrBatchSource, ModelSource, RunStageOptions, SrTrainConfig, Stage } from '@yonos/distill';
import { installKernelProfiler, minKernelTimes, startKernelProfile, stopKernelProfile } from './kernel-profile.js';
import type { KernelTimes } from './kernel-profile.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIGS = join(HERE, '..', '..', '..', 'examples', 'configs');
const backend = arg('backend', 'wasm') as BackendName;
const sets = arg('sets', 'tiny,recipe').split(',');
const stageNames = arg('stages', 'vae,sr,distill,direct,decoder').split(',') as StageKind[];
const measured = Number(arg('steps', '3'));
const profile = process.argv.includes('--profile');
const top = Number(arg('top', '18'));
const profileSteps = Number(arg('profile-steps', '3'));
/** Set in the environment of the per-thread-count children. */
const CHILD = 'YONOS_TRAIN_BENCH_CHILD';
const allThreads = os.availableParallelism();
const threadCounts = [...new Set(arg('threads', '1,all').split(',').map((t) => (t === 'all' ? allThreads : Number(t))))];

type StageKind = 'vae' | 'sr' | 'distill' | 'direct' | 'decoder';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The config file of each stage in a set (`direct` only in the recipe). */
const FILES: Record<string, Partial<Record<StageKind, string>>> = {
  tiny: { vae: 'vae-tiny.json', sr: 'sr-x2-tiny.json', distill: 'distill-tiny.json', decoder: 'decoder-tiny.json' },
  recipe: {
    vae: 'recipe/vae.json',
    sr: 'recipe/sr-x2.json',
    distill: 'recipe/distill.json',
    direct: 'recipe/direct-x4.json',
    decoder: 'recipe/decoder-x4.json',
  },
};

/** One stage's figures from one process (one thread count). */
interface Row {
  readonly set: string;
  readonly stage: StageKind;
  readonly batch: number;
  readonly crop: number;
  readonly params: number;
  readonly msPerStep: number;
  /** CPU time of the process per timed step (every thread): on a loaded machine, what one thread's wall time would be unloaded. */
  readonly cpuMsPerStep: number;
  readonly gflopPerStep: number;
  readonly profile?: StepProfile;
}

/** Kernel self times of a step: each the least over the profiled steps, as the step and the time outside kernels. */
interface StepProfile {
  readonly stepMs: number;
  readonly outsideMs: number;
  readonly kernels: KernelTimes;
}

function profileOf(profiles: readonly KernelTimes[], stepMs: readonly number[]): StepProfile {
  const inKernels = profiles.map((p) => Object.values(p).reduce((s, k) => s + k.ms, 0));
  return { stepMs: Math.min(...stepMs), outsideMs: Math.min(...stepMs.map((t, j) => t - inKernels[j]!)), kernels: minKernelTimes(profiles) };
}

/** What a child process reports (the last line of its stdout, after `RESULT `). */
interface ChildResult {
  readonly threads: number;
  readonly convGflops: number;
  readonly convAfterGflops: number;
  /** The raw conv's FLOPs per CPU second of the process (every thread), before the stages. */
  readonly convCpuGflops: number;
  readonly rows: Row[];
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

/** A config's `models.<key>.config` (the recipe's and the tiny examples' models are built from configs). */
function modelConfig(source: ModelSource | undefined, file: string): ModelConfig {
  if (source?.config === undefined) throw new Error(`${file}: the bench builds its models from a "config" entry`);
  return source.config as ModelConfig;
}

type Vae = AutoencoderKL | AutoencoderTiny;
type Unet = UNet2DConditionModel | UNet2DModel;

/** The VAE as `yonos train` builds it: the class the config's `_class_name` names (default `AutoencoderKL`), its `init` scheme. */
function buildVae(source: ModelSource, config: ModelConfig, seed: Rng): Vae {
  if (config['_class_name'] === 'AutoencoderTiny') return AutoencoderTiny.fromConfig(config).initialize(seed, { scheme: source.init ?? 'default' });
  return AutoencoderKL.fromConfig(config).initialize(seed);
}

/** The U-Net as `yonos train` builds it (`UNet2DModel` when the config says so, else `UNet2DConditionModel`). */
function buildUnet(config: ModelConfig, seed: Rng): Unet {
  return config['_class_name'] === 'UNet2DModel' ? UNet2DModel.fromConfig(config).initialize(seed) : UNet2DConditionModel.fromConfig(config).initialize(seed);
}

function vaeFlops(vae: Vae, config: ModelConfig, crop: number, batch: number): { encode: number; decode: number; total: number } {
  return vae instanceof AutoencoderTiny ? autoencoderTinyFlops(config, [crop, crop], batch) : autoencoderKLFlops(config, [crop, crop], batch);
}

/** `runStage` options from a config's optimizer and EMA sections (as `yonos train`), for `steps` updates. */
function runOptions(config: SrTrainConfig | Json, steps: number, onStep: () => void): RunStageOptions {
  const o = config.optimizer;
  return {
    seed: 3,
    maxSteps: steps,
    totalSteps: 1000,
    optimizer: { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay },
    lrSchedule: o.schedule,
    warmupSteps: o.warmup_steps,
    ...(o.clip_norm !== null ? { clipNorm: o.clip_norm } : {}),
    ...(config.ema !== null ? { ema: { decay: config.ema.decay } } : {}),
    resume: false,
    onProgress: (e) => {
      if (e.stage === 'train') onStep();
    },
  };
}

async function bench(set: string, kind: StageKind): Promise<Row> {
  const f = FILES[set]!;
  const path = (file: string): string => join(CONFIGS, file);
  const vaeFile = await readTrainConfig('vae', path(f.vae!));
  const srFile = await readTrainConfig('sr', path(f.sr!));
  const vaeConfig = modelConfig(vaeFile.models.vae, f.vae!);
  const unetConfig = modelConfig(srFile.models.unet, f.sr!);
  const file = path(f[kind]!);
  const cfg: Json = kind === 'direct' ? await readTrainConfig('sr', file) : await readTrainConfig(kind, file);
  const batch = cfg.data.batch_size as number;
  const crop = cfg.data.crop_size as number;
  const rng = createRng(1);
  const vae = buildVae(vaeFile.models.vae, vaeConfig, rng.fork('vae'));
  const unet = buildUnet(unetConfig, rng.fork('unet'));
  const teacher = kind === 'distill' ? buildUnet(unetConfig, rng.fork('teacher')) : undefined;
  const scheduler = new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
  const data = syntheticCrops(batch, crop);
  const degradation = new BicubicDegradation();
  const f8 = vae.downsampleFactor;
  const vf = vaeFlops(vae, vaeConfig, crop, batch);
  const uf = unetFlops(unet, { batch, height: crop / f8, width: crop / f8, contextLength: 1 }).total;
  // The diffusion stages' loss options, as `yonos train sr` / `distill` pass them.
  const diffusion = async (): Promise<Json> => {
    const loss = cfg.loss as Json;
    let channelWeights: readonly number[] | undefined;
    if (loss.channel_weights === 'decoder') {
      const hr = await data.batch(0);
      channelWeights = decoderChannelWeights(vae, hr, rng.fork('channel-weights'));
      hr.dispose();
    } else if (Array.isArray(loss.channel_weights)) channelWeights = loss.channel_weights as number[];
    return { ...diffusionLossOptions(cfg as SrTrainConfig), ...(channelWeights !== undefined ? { channelWeights } : {}) };
  };
  let stage: Stage<tf.TensorContainer>;
  let flops: number;
  let params: number;
  switch (kind) {
    case 'vae':
      stage = createVaeStage({ codec: vae, data, l1Weight: cfg.loss.l1_weight, klWeight: cfg.loss.kl_weight, samplePosterior: cfg.loss.sample_posterior }) as Stage<tf.TensorContainer>;
      flops = 3 * vf.total;
      params = vae.numParameters();
      break;
    case 'sr':
    case 'direct':
      vae.freeze().eval();
      stage = createSrStage({ codec: vae, unet, scheduler, data, degradation, scale: cfg.scale, ...(await diffusion()) }) as Stage<tf.TensorContainer>;
      flops = 3 * uf + 2 * vf.encode;
      params = unet.numParameters();
      break;
    case 'distill': {
      vae.freeze().eval();
      stage = createDistillStage({
        codec: vae,
        student: unet,
        teacher: teacher!.freeze().eval(),
        scheduler,
        data,
        makePair: (hr, factor, r) => makeDistillationPair(hr, factor, degradation, r),
        scale: (cfg.stages as Json[])[0]!.scale as number,
        ...(await diffusion()),
      }) as Stage<tf.TensorContainer>;
      flops = 4 * uf + 3 * vf.encode;
      params = unet.numParameters();
      break;
    }
    case 'decoder':
      stage = createDecoderStage({
        codec: vae,
        oneStepLatent: yonosOneStepLatent({ codec: vae, unet: unet.freeze().eval(), scheduler, ...(cfg.residual === true ? { residual: true } : {}) }),
        data,
        degradation,
        scale: cfg.scale as number,
        l1Weight: cfg.loss.l1_weight,
      }) as Stage<tf.TensorContainer>;
      flops = 3 * vf.decode + uf + vf.encode;
      params = vae.parameters().filter((p) => p.trainable).reduce((s, p) => s + p.size, 0);
      break;
  }
  const times: number[] = [];
  const cpu: number[] = [];
  // Warm-up step, the timed steps, then (with --profile) the profiled steps.
  const total = measured + 1 + (profile ? profileSteps : 0);
  const profiles: KernelTimes[] = [];
  try {
    await runStage(
      stage,
      runOptions(cfg, total, () => {
        times.push(performance.now());
        const c = process.cpuUsage();
        cpu.push((c.user + c.system) / 1000);
        if (profile && times.length > measured + 1) profiles.push(stopKernelProfile());
        if (profile && times.length >= measured + 1 && times.length < total) startKernelProfile();
      }),
    );
  } finally {
    for (const m of [vae, unet, teacher]) m?.dispose();
  }
  // The first step (kernel compilation, allocation) is the warm-up; time the rest.
  const msPerStep = (times[measured]! - times[0]!) / measured;
  const cpuMsPerStep = (cpu[measured]! - cpu[0]!) / measured;
  return {
    set,
    stage: kind,
    batch,
    crop,
    params,
    msPerStep,
    cpuMsPerStep,
    gflopPerStep: flops / 1e9,
    ...(profiles.length > 0 ? { profile: profileOf(profiles, profiles.map((_, j) => times[measured + 1 + j]! - times[measured + j]!)) } : {}),
  };
}

/** Benchmarks every set and stage in this process, with the thread count it was started with. */
async function runHere(threads: number | undefined): Promise<ChildResult> {
  const info = await useBackend(backend, threads !== undefined && backend === 'wasm' ? { wasmThreads: threads } : {});
  if (profile) installKernelProfiler(tf.getBackend());
  const running = info.wasm?.threads ?? 1;
  const c0 = process.cpuUsage();
  const conv = await measureConvThroughput(undefined, undefined, 2000);
  const c1 = process.cpuUsage(c0);
  // Its timed runs and the one warm-up, by CPU time.
  const convCpuGflops = (convFlops(conv.shape) * (conv.iterations + 1)) / ((c1.user + c1.system) * 1e3);
  console.log(`[${running} thread${running === 1 ? '' : 's'}] raw conv2d (8x32x32x64 -> 64, 3x3): ${conv.gflops.toFixed(2)} GFLOP/s`);
  const rows: Row[] = [];
  for (const set of sets) {
    for (const kind of stageNames) {
      if (FILES[set]?.[kind] === undefined) continue;
      const row = await bench(set, kind);
      rows.push(row);
      const achieved = row.gflopPerStep / (row.msPerStep / 1000);
      console.log(
        `[${running}] ${row.set.padEnd(6)} ${row.stage.padEnd(7)} ${row.msPerStep.toFixed(0).padStart(6)} ms/step (CPU ${row.cpuMsPerStep.toFixed(0)} ms)  ` +
          `${achieved.toFixed(2)} GFLOP/s (${((100 * achieved) / conv.gflops).toFixed(0)}% of raw conv)`,
      );
    }
  }
  const after = await measureConvThroughput(undefined, undefined, 2000);
  console.log(`[${running}] raw conv2d after: ${after.gflops.toFixed(2)} GFLOP/s`);
  return { threads: running, convGflops: conv.gflops, convAfterGflops: after.gflops, convCpuGflops, rows };
}

/** Runs this file again for one thread count and returns what it reports. */
function runChild(threads: number): ChildResult {
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--threads' && all[i - 1] !== '--threads');
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args, '--threads', String(threads)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, [CHILD]: '1' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const lines = (child.stdout ?? '').trimEnd().split('\n');
  const last = lines.pop() ?? '';
  for (const line of lines) console.log(line);
  if (child.status !== 0 || !last.startsWith('RESULT ')) {
    if (last !== '') console.log(last);
    throw new Error(`the bench with --threads ${threads} failed (exit ${child.status ?? child.signal})`);
  }
  return JSON.parse(last.slice('RESULT '.length)) as ChildResult;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

const OUTSIDE = '(outside kernels)';
/**
 * tfjs-backend-wasm 4.22 kernels that run on its thread pool (XNNPACK operators; `BatchMatMul`
 * only untransposed and unbatched, which is all YONOS's kernel sends it). Everything else,
 * YONOS's heap kernels (Slice, Concat...) and the JS outside kernels run on the calling thread.
 */
const POOL_KERNELS = new Set([
  'Abs', 'Add', 'AvgPool', 'BatchMatMul', 'Ceil', 'ClipByValue', 'Conv2D', 'DepthwiseConv2dNative', 'Elu', 'Floor', 'FusedConv2D',
  'FusedDepthwiseConv2D', 'MaxPool', 'Multiply', 'Neg', 'PadV2', 'Prelu', 'RealDiv', 'Relu', 'Relu6', 'ResizeBilinear', 'Round',
  'Sigmoid', 'Softmax', 'Square', 'SquaredDifference', 'Sub', '_FusedMatMul',
]);
/** Whether a profiled kernel (`Parent>Kernel` for nested ones: the innermost counts) runs on the pool. */
const threaded = (name: string): boolean => POOL_KERNELS.has(name.slice(name.lastIndexOf('>') + 1));

/** The table of all thread counts, with each count's share of its raw conv and the speedup over the first count. */
function report(results: ChildResult[]): void {
  const base = results[0]!;
  console.log(
    `\nbackend ${backend} on ${os.cpus()[0]?.model ?? 'unknown cpu'} (${allThreads} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end)`,
  );
  console.log(
    `raw conv2d GFLOP/s: ${results.map((r) => `${r.threads} thread${r.threads === 1 ? '' : 's'} ${r.convGflops.toFixed(1)} (after: ${r.convAfterGflops.toFixed(1)}; per CPU second ${r.convCpuGflops.toFixed(1)})`).join(', ')}`,
  );
  console.log(
    'ms/step: wall time; CPU: CPU ms/step of every thread; % conv: GFLOP/s as a share of the raw conv (wall), and in () per CPU second as a share of the raw conv per CPU second (what a loaded machine leaves of the one-thread figure)',
  );
  const head = results.map((r) => `${r.threads}t ms/step     CPU  GFLOP/s  % conv`).join(' | ');
  const speedups = results.slice(1).map((r) => `x${r.threads}/${base.threads}`).join(' ');
  console.log(`${'set'.padEnd(6)} ${'stage'.padEnd(7)} batch crop GFLOP/step | ${head} | speedup ${speedups}`);
  for (const [i, row] of base.rows.entries()) {
    const cells = results.map((r) => {
      const x = r.rows[i]!;
      const g = x.gflopPerStep / (x.msPerStep / 1000);
      const perCpu = x.gflopPerStep / (x.cpuMsPerStep / 1000);
      return `${x.msPerStep.toFixed(0).padStart(11)} ${x.cpuMsPerStep.toFixed(0).padStart(7)} ${g.toFixed(2).padStart(8)} ${pct(g / r.convGflops).padStart(4)} (${pct(perCpu / r.convCpuGflops)})`;
    });
    const speed = results.slice(1).map((r) => `${(row.msPerStep / r.rows[i]!.msPerStep).toFixed(2)}x`).join(' ');
    console.log(`${row.set.padEnd(6)} ${row.stage.padEnd(7)} ${String(row.batch).padStart(5)} ${String(row.crop).padStart(4)} ${row.gflopPerStep.toFixed(2).padStart(10)} | ${cells.join(' | ')} | ${speed}`);
  }
  if (!profile) return;
  for (const [i, row] of base.rows.entries()) {
    const profiles = results.map((r) => r.rows[i]!.profile!);
    const names = new Set(profiles.flatMap((p) => Object.keys(p.kernels)));
    const table = [...names].map((name) => ({ name, ms: profiles.map((p) => p.kernels[name]?.ms ?? 0), calls: profiles[0]!.kernels[name]?.calls ?? 0 }));
    table.push({ name: OUTSIDE, ms: profiles.map((p) => p.outsideMs), calls: 0 });
    table.sort((a, b) => b.ms[0]! - a.ms[0]!);
    // The step as the sum of its parts (each part's least time: the load filtered out).
    const clean = table.reduce((s, k) => s + k.ms[0]!, 0);
    // Amdahl from the first thread count's profile: the kernels the pool runs speed up, the rest does not.
    const serial = table.filter((k) => !threaded(k.name)).reduce((s, k) => s + k.ms[0]!, 0);
    const bound = (t: number): number => clean / (serial + (clean - serial) / t);
    const many = allThreads > 2 ? allThreads : 4;
    const parts = results.map((_, j) => table.reduce((s, k) => s + k.ms[j]!, 0));
    // Every kernel call costs JS on the calling thread (engine, tape, wrappers): part of the serial share.
    const calls = table.reduce((s, k) => s + k.calls, 0);
    const reshapes = table.filter((k) => k.name.endsWith('Reshape')).reduce((s, k) => s + k.calls, 0);
    console.log(
      `\nprofile ${row.set} ${row.stage}: ${calls} kernel calls per step (${reshapes} of them Reshape, no copy), outside kernels ${pct(profiles[0]!.outsideMs / clean)}; ` +
        `fastest profiled step ${profiles.map((p, j) => `${p.stepMs.toFixed(0)} ms (${results[j]!.threads}t)`).join(', ')}; ` +
        `sum of the parts ${parts.map((p, j) => `${p.toFixed(0)} ms (${results[j]!.threads}t)`).join(', ')}` +
        (parts.length > 1 ? ` = ${(parts[0]! / parts[parts.length - 1]!).toFixed(2)}x` : '') +
        `; serial (not on the pool) ${serial.toFixed(0)} ms = ${pct(serial / clean)} of the ${results[0]!.threads}t parts: ` +
        `threads give at most ${bound(2).toFixed(2)}x with 2, ${bound(many).toFixed(2)}x with ${many}`,
    );
    console.log(`  ${'kernel (self time, least of the profiled steps)'.padEnd(52)} ${'calls'.padStart(6)} pool ${results.map((r) => `${r.threads}t ms`.padStart(9)).join(' ')}  share`);
    for (const k of table.slice(0, top)) {
      console.log(
        `  ${k.name.padEnd(52)} ${String(k.calls).padStart(6)} ${(threaded(k.name) ? 'yes' : 'no').padStart(4)} ${k.ms.map((m) => m.toFixed(1).padStart(9)).join(' ')}  ${pct(k.ms[0]! / clean).padStart(5)}`,
      );
    }
  }
}

if (process.env[CHILD] === '1') {
  // A child of the loop below: the figures go to the parent as the last line.
  console.log(`RESULT ${JSON.stringify(await runHere(threadCounts[0]))}`);
} else if (backend !== 'wasm' || threadCounts.length === 1) {
  report([await runHere(backend === 'wasm' ? threadCounts[0] : undefined)]);
} else {
  console.log(`train bench: backend ${backend}, sets ${sets.join(',')}, stages ${stageNames.join(',')}, threads ${threadCounts.join(',')} (one process each)`);
  report(threadCounts.map(runChild));
}
