/**
 * Convolution training throughput: forward conv2d, YONOS's gradient kernels (as forward
 * convolutions) and tfjs's own paths, in GFLOP/s and as ratios to the forward conv of the
 * same run. Run from the repository root:
 *
 *   npx tsx packages/core/bench/conv.bench.ts [--backends wasm,cpu] [--ms 400] [--quick]
 *
 * (or `npm run bench -w @yonos/core`). `--backends` also takes `webgpu` (slow: SwiftShader).
 *
 * "im2col" is the filter gradient as patches + one matMul (what a backend without a
 * dedicated kernel would do); "tfjs" for the input gradient is the backend's own
 * Conv2DBackpropInput (tf.conv2dTranspose), timed with YONOS's kernels unregistered.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  conv2dFilterGradViaConv,
  conv2dInputGradViaConv,
  measureConvThroughput,
  nativeKernel,
  registerTrainingKernels,
  unregisterTrainingKernels,
  useBackend,
} from '../src/backend/index.js';
import type { BackendName, ConvPad } from '../src/backend/index.js';
import { registerAllGradientsInNode } from '../src/backend/node.js';

interface Shape {
  readonly label: string;
  readonly x: [number, number, number, number];
  readonly k: number;
  readonly cout: number;
  readonly strides: number;
  readonly pad: ConvPad;
}

const DOWN: ConvPad = [
  [0, 0],
  [0, 1],
  [0, 1],
  [0, 0],
];

const SHAPES: readonly Shape[] = [
  { label: '3x3 b16 8px 128ch', x: [16, 8, 8, 128], k: 3, cout: 128, strides: 1, pad: 'same' },
  { label: '3x3 b16 16px 64ch', x: [16, 16, 16, 64], k: 3, cout: 64, strides: 1, pad: 'same' },
  { label: '3x3 b8 32px 64ch', x: [8, 32, 32, 64], k: 3, cout: 64, strides: 1, pad: 'same' },
  { label: '3x3 b8 64px 32ch', x: [8, 64, 64, 32], k: 3, cout: 32, strides: 1, pad: 'same' },
  { label: '3x3 s2 b8 32px 64ch (Downsample2D)', x: [8, 32, 32, 64], k: 3, cout: 64, strides: 2, pad: DOWN },
  { label: '1x1 b8 32px 64->128ch', x: [8, 32, 32, 64], k: 1, cout: 128, strides: 1, pad: 'valid' },
  { label: '3x3 valid b8 32px 32ch', x: [8, 32, 32, 32], k: 3, cout: 32, strides: 1, pad: 'valid' },
];

// tfjs-backend-cpu runs convolutions two orders of magnitude slower (its own filter gradient
// four), so it gets the same kinds of convolution at smaller sizes.
const CPU_SHAPES: readonly Shape[] = [
  { label: '3x3 b2 8px 32ch', x: [2, 8, 8, 32], k: 3, cout: 32, strides: 1, pad: 'same' },
  { label: '3x3 b2 16px 32ch', x: [2, 16, 16, 32], k: 3, cout: 32, strides: 1, pad: 'same' },
  { label: '3x3 s2 b2 16px 32ch (Downsample2D)', x: [2, 16, 16, 32], k: 3, cout: 32, strides: 2, pad: DOWN },
  { label: '1x1 b2 16px 32->64ch', x: [2, 16, 16, 32], k: 1, cout: 64, strides: 1, pad: 'valid' },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const backends = (arg('backends') ?? 'wasm,cpu').split(',') as BackendName[];
const minMs = Number(arg('ms') ?? 400);
const quick = process.argv.includes('--quick');

/** Median ms of `fn` (its result read back and disposed), after one warm-up run; one timed run if that alone exceeds the budget. */
async function time(fn: () => tf.Tensor, budgetMs: number): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = fn();
    await out.data();
    const dt = performance.now() - t0;
    out.dispose();
    return dt;
  };
  const warm = await once();
  const minRuns = warm > budgetMs ? 1 : 3;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < budgetMs) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

/** Filter gradient as im2col (one strided slice per tap) + one matMul. */
function filterGradIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, strides: number, pad: ConvPad): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, cin] = x.shape;
    const [, ho, wo, cout] = dy.shape;
    const info = tf.backend_util.computeConv2DInfo(x.shape, [k, k, cin, cout], strides, 1, pad);
    const p = info.padInfo;
    const bottom = Math.max(0, (ho - 1) * strides + k - p.top - h);
    const right = Math.max(0, (wo - 1) * strides + k - p.left - w);
    const xp = tf.pad(x, [
      [0, 0],
      [p.top, bottom],
      [p.left, right],
      [0, 0],
    ]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        taps.push(tf.stridedSlice(xp, [0, i, j, 0], [n, i + (ho - 1) * strides + 1, j + (wo - 1) * strides + 1, cin], [1, strides, strides, 1]));
      }
    }
    const cols = tf.reshape(tf.stack(taps, 3), [n * ho * wo, k * k * cin]);
    return tf.reshape(tf.matMul(cols, tf.reshape(dy, [n * ho * wo, cout]), true, false), [k, k, cin, cout]);
  });
}

function relDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs((a[i] ?? NaN) - (b[i] ?? 0)));
    s = Math.max(s, Math.abs(b[i] ?? 0));
  }
  return d / s;
}

const fmt = (v: number): string => v.toFixed(2).padStart(7);
const ratio = (v: number, base: number): string => `${fmt(v)} (${(v / base).toFixed(2)}x)`;

async function benchBackend(backend: BackendName): Promise<void> {
  const info = await useBackend(backend);
  const rawShape = backend === 'cpu' ? { batch: 2, size: 16, inChannels: 32, outChannels: 32 } : undefined;
  const raw = await measureConvThroughput(backend, rawShape, minMs);
  const r = raw.shape;
  console.log(`\n## backend ${info.name}${info.wasm ? ` (simd ${info.wasm.simd}, threads ${info.wasm.threads})` : ''}`);
  console.log(`raw conv2d [${r.batch},${r.size},${r.size},${r.inChannels}] ${r.kernel}x${r.kernel} -> ${r.outChannels}: ${raw.gflops.toFixed(2)} GFLOP/s`);
  console.log(`polyfilled kernels: ${info.polyfilledKernels.join(', ') || '(none)'}`);
  console.log(
    '| shape | forward | filter grad: YONOS | filter grad: im2col+matMul | filter grad: tfjs kernel | input grad: YONOS | input grad: tfjs kernel | max rel. diff |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const all = backend === 'cpu' ? CPU_SHAPES : SHAPES;
  const shapes = quick ? all.slice(0, 2) : all;
  const budget = minMs;
  for (const s of shapes) {
    const x = tf.randomNormal(s.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([s.k, s.k, s.x[3], s.cout], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s.strides, s.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3) as tf.Tensor4D;
    const flops = 2 * y.size * s.k * s.k * s.x[3];
    const g = (ms: number): number => flops / (ms * 1e6);

    const fwd = g(await time(() => tf.conv2d(x, w, s.strides, s.pad), budget));
    const filterOurs = g(await time(() => conv2dFilterGradViaConv(x, dy, w.shape, s.strides, s.pad), budget));
    const filterIm2col = g(await time(() => filterGradIm2col(x, dy, s.k, s.strides, s.pad), budget));
    const inputOurs = g(await time(() => conv2dInputGradViaConv(x.shape, dy, w, s.strides, s.pad), budget));

    // tfjs's own kernels: take YONOS's out of the registry while timing them.
    unregisterTrainingKernels(backend);
    const hasFilterKernel = nativeKernel('Conv2DBackpropFilter', backend) !== undefined;
    const attrs = { strides: s.strides, pad: s.pad, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
    const runFilter = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor;
    const runInput = (): tf.Tensor => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
    const filterTfjs = hasFilterKernel ? g(await time(runFilter, budget)) : Number.NaN;
    const inputTfjs = g(await time(runInput, budget));
    const refInput = runInput();
    const refFilter = hasFilterKernel ? runFilter() : filterGradIm2col(x, dy, s.k, s.strides, s.pad);
    registerTrainingKernels(backend);

    const ours = [conv2dFilterGradViaConv(x, dy, w.shape, s.strides, s.pad), conv2dInputGradViaConv(x.shape, dy, w, s.strides, s.pad)];
    const diff = Math.max(relDiff(await ours[0]!.data(), await refFilter.data()), relDiff(await ours[1]!.data(), await refInput.data()));
    console.log(
      `| ${s.label} | ${fmt(fwd)} | ${ratio(filterOurs, fwd)} | ${ratio(filterIm2col, fwd)} | ${hasFilterKernel ? ratio(filterTfjs, fwd) : '   none'} | ${ratio(inputOurs, fwd)} | ${ratio(inputTfjs, fwd)} | ${diff.toExponential(1)} |`,
    );
    tf.dispose([x, w, y, dy, refInput, refFilter, ...ours]);
  }
}

// Registered from the Node module directly, so that the bench runs from the sources without
// the `source` export condition (useBackend would otherwise reach for the built @yonos/core/node).
await registerAllGradientsInNode();

const cpus = os.cpus();
console.log('# conv2d training throughput (GFLOP/s; ratio to the forward conv of the same shape and run)');
console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.arch()}, Node ${process.version}, tfjs ${tf.version_core}`);
for (const b of backends) await benchBackend(b);
