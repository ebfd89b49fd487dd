/**
 * Training speed of the core layers: forward + backward of GroupNorm, Linear, Conv2d,
 * LayerNorm, ResnetBlock2D and a small U-Net-like stack, plus the wasm kernels YONOS
 * registers (transposed/batched BatchMatMul, Slice, SplitV, Concat) next to tfjs's own.
 * Every row compares a baseline with the current code measured in the same run, variants
 * interleaved round by round (alternating order); each time is a variant's fastest run over
 * all rounds and the ratio is baseline / variant (> 1: faster than the baseline). Run from
 * the repository root:
 *
 *   npx tsx --conditions=source packages/core/bench/layers.bench.ts [--backends wasm] [--ms 500] [--rounds 3] [--quick]
 *
 * "legacy" rows are the formulations the layers used before (tfjs-core ops with autodiff:
 * `moments` GroupNorm and LayerNorm, matMul + add Linear, conv2d + add bias) and run with
 * tfjs's own kernels for the ones YONOS now replaces and the filter gradient always as a
 * forward conv (on wasm), i.e. the code as it was. Not a test: numbers
 * depend on the machine and its load (it is shared: read the ratios, repeat).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import {
  conv2dFilterGradViaConv,
  measureConvThroughput,
  registerTrainingKernels,
  unregisterTrainingKernels,
  useBackend,
} from '../src/backend/index.js';
import type { BackendName, ConvPad } from '../src/backend/index.js';
import { registerAllGradientsInNode } from '../src/backend/node.js';
import {
  Conv2d,
  Downsample2D,
  GroupNorm,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  ResnetBlock2D,
  Upsample2D,
  gelu,
  silu,
} from '../src/nn/index.js';
import { createRng } from '../src/random/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const backends = (arg('backends') ?? 'wasm').split(',') as BackendName[];
const minMs = Number(arg('ms') ?? 500);
const rounds = Number(arg('rounds') ?? 3);
const quick = process.argv.includes('--quick');

/** Kernels this bench's "legacy" rows run with tfjs's own implementation. */
const NEW_KERNELS = ['BatchMatMul', 'Sum', 'Slice', 'SplitV', 'Concat', 'Reverse', 'StridedSlice'];

// ---------------------------------------------------------------------------------------------
// Timing

type Run = () => tf.Tensor | tf.Tensor[];

interface Variant {
  readonly label: string;
  readonly run: Run;
  /** Runs before each timing of this variant (kernel registration). */
  readonly setup?: () => void;
}

/**
 * Fastest ms of `run` (every output read back, then disposed) over repeated runs after one
 * warm-up. On a shared machine load only ever adds time, so the minimum is the most stable
 * estimate of a variant's own cost.
 */
async function bestMs(run: Run, budgetMs: number): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = tf.tidy(run);
    const outs = Array.isArray(out) ? out : [out];
    for (const t of outs) await t.data();
    const dt = performance.now() - t0;
    tf.dispose(outs);
    return dt;
  };
  const warm = await once();
  const minRuns = warm > budgetMs ? 1 : 3;
  let best = Number.POSITIVE_INFINITY;
  let runs = 0;
  const start = performance.now();
  while (runs < minRuns || performance.now() - start < budgetMs) {
    best = Math.min(best, await once());
    runs++;
  }
  return best;
}

/**
 * Times every variant once per round, interleaved, and prints a table row ending with `diff`
 * (max relative difference of the current code's outputs to the baseline's). The first
 * variant is the baseline.
 */
async function compare(title: string, variants: readonly Variant[], diff: number): Promise<void> {
  const times = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so that no variant always runs right after the same other one.
    const order = [...variants.keys()];
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      variants[i]!.setup?.();
      times[i]!.push(await bestMs(variants[i]!.run, minMs));
    }
  }
  currentKernels();
  const best = times.map((t) => Math.min(...t));
  const cells = variants.map((v, i) => `${v.label} ${best[i]!.toFixed(2)} ms${i === 0 ? '' : ` (${(best[0]! / best[i]!).toFixed(2)}x)`}`);
  console.log(`| ${title} | ${cells.join(' | ')} | ${diff.toExponential(1)} |`);
}

/** The filter gradient as YONOS computed it before on wasm: always the forward-conv formulation. */
const legacyFilterGrad: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as { strides: [number, number]; pad: ConvPad; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
  return conv2dFilterGradViaConv(inputs['x'] as tf.Tensor4D, inputs['dy'] as tf.Tensor4D, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
};

/** tfjs's own kernels where YONOS now replaces them, and the filter gradient as it was (wasm). */
function legacyKernels(): void {
  const backend = tf.getBackend();
  unregisterTrainingKernels(backend, NEW_KERNELS);
  if (backend !== 'wasm' || tf.getKernel('Conv2DBackpropFilter', backend)?.kernelFunc === legacyFilterGrad) return;
  unregisterTrainingKernels(backend, ['Conv2DBackpropFilter']);
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: backend, kernelFunc: legacyFilterGrad });
}

/** YONOS's current kernel set. */
function currentKernels(): void {
  const backend = tf.getBackend();
  if (tf.getKernel('Conv2DBackpropFilter', backend)?.kernelFunc === legacyFilterGrad) tf.unregisterKernel('Conv2DBackpropFilter', backend);
  registerTrainingKernels(backend);
}

/** Max abs difference over max abs of `want`, across all outputs. */
function relDiff(got: Run, want: Run): number {
  const g = [tf.tidy(got)].flat();
  const w = [tf.tidy(want)].flat();
  let diff = 0;
  let scale = 0;
  w.forEach((t, i) => {
    const a = g[i]!.dataSync();
    const b = t.dataSync();
    for (let j = 0; j < b.length; j++) {
      diff = Math.max(diff, Math.abs(a[j]! - b[j]!));
      scale = Math.max(scale, Math.abs(b[j]!));
    }
  });
  tf.dispose([...g, ...w]);
  return diff / scale;
}

/**
 * Forward + backward of `forward` for a weighted-sum loss: gradients of every trainable
 * variable of `m` and of the inputs (as variables). Returns the loss and all gradients.
 */
function trainStep(m: Module, inputs: readonly tf.Variable[], forward: () => tf.Tensor, cot: tf.Tensor): Run {
  const vars = [...m.trainableVariables(), ...inputs];
  return () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(), cot)) as tf.Scalar, vars);
    return [value, ...Object.values(grads)];
  };
}

// ---------------------------------------------------------------------------------------------
// The formulations the layers used before this change (for the "legacy" rows)

function legacyGroupNorm(gn: GroupNorm, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const g = gn.num_groups;
    const grouped = tf.reshape(x, [x.shape[0]!, -1, g, gn.num_channels / g]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    let y = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, gn.eps))), x.shape);
    if (gn.weight !== null) y = tf.mul(y, gn.weight.value);
    if (gn.bias !== null) y = tf.add(y, gn.bias.value);
    return y;
  });
}

function legacyLinear(lin: Linear, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x2 = tf.reshape(x, [-1, lin.in_features]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(x2, lin.weight.value as tf.Tensor2D);
    if (lin.bias !== null) y = tf.add(y, lin.bias.value);
    return tf.reshape(y, [...x.shape.slice(0, -1), lin.out_features]);
  });
}

/** Conv2d with numeric padding (what this bench builds), as conv2d + add. */
function legacyConv(conv: Conv2d, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const p = conv.padding;
    if (typeof p !== 'number') throw new Error('legacyConv: the bench uses numeric padding only');
    let y = tf.conv2d(x, conv.weight.value as tf.Tensor4D, conv.stride as [number, number], p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]]);
    if (conv.bias !== null) y = tf.add(y, conv.bias.value);
    return y;
  });
}

function legacyLayerNorm(ln: LayerNorm, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, ln.eps)));
    if (ln.weight !== null) y = tf.mul(y, ln.weight.value);
    if (ln.bias !== null) y = tf.add(y, ln.bias.value);
    return y;
  });
}

const legacySilu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

/** The layer implementations a forward pass is built from, so one model runs either way. */
interface Ops {
  groupNorm(gn: GroupNorm, x: tf.Tensor): tf.Tensor;
  linear(lin: Linear, x: tf.Tensor): tf.Tensor;
  conv(conv: Conv2d, x: tf.Tensor4D): tf.Tensor4D;
  layerNorm(ln: LayerNorm, x: tf.Tensor): tf.Tensor;
  silu(x: tf.Tensor): tf.Tensor;
}

const LEGACY: Ops = { groupNorm: legacyGroupNorm, linear: legacyLinear, conv: legacyConv, layerNorm: legacyLayerNorm, silu: legacySilu };
const CURRENT: Ops = {
  groupNorm: (gn, x) => gn.forward(x),
  linear: (lin, x) => lin.forward(x),
  conv: (conv, x) => conv.forward(x),
  layerNorm: (ln, x) => ln.forward(x),
  silu,
};

/** diffusers' ResnetBlock2D (default time embedding, no resampling), built from `ops`. */
function resnet(ops: Ops, b: ResnetBlock2D, x: tf.Tensor4D, temb: tf.Tensor2D | null): tf.Tensor4D {
  return tf.tidy(() => {
    let h = ops.conv(b.conv1, ops.silu(ops.groupNorm(b.norm1, x)) as tf.Tensor4D);
    if (b.time_emb_proj !== null && temb !== null) {
      const t = ops.linear(b.time_emb_proj, ops.silu(temb));
      h = tf.add(h, tf.reshape(t, [t.shape[0]!, 1, 1, t.shape[1]!]));
    }
    h = ops.conv(b.conv2, ops.silu(ops.groupNorm(b.norm2, h)) as tf.Tensor4D);
    const skip = b.conv_shortcut !== null ? ops.conv(b.conv_shortcut, x) : x;
    return tf.add(skip, h);
  });
}

// ---------------------------------------------------------------------------------------------
// A small U-Net-like stack: conv_in, resnets with a time embedding, a strided-conv
// downsample, a transformer-style block (GroupNorm, Linear projections, LayerNorm, batched
// multi-head attention, GELU feed-forward), nearest upsample + conv, a channel-concatenated
// skip and GroupNorm + SiLU + conv_out.

class TinyUNet extends Module {
  readonly conv_in = new Conv2d(8, 64, 3, { padding: 1 });
  readonly time_1 = new Linear(32, 128);
  readonly time_2 = new Linear(128, 128);
  readonly down0 = new ResnetBlock2D({ in_channels: 64, out_channels: 64, temb_channels: 128, groups: 32 });
  readonly down = new Downsample2D(64, { use_conv: true, padding: 1 });
  readonly down1 = new ResnetBlock2D({ in_channels: 64, out_channels: 128, temb_channels: 128, groups: 32 });
  readonly attn_norm = new GroupNorm(32, 128, { eps: 1e-6 });
  readonly proj_in = new Linear(128, 128);
  readonly ln1 = new LayerNorm(128);
  readonly qkv = new ModuleList<Linear>([0, 1, 2].map(() => new Linear(128, 128, { bias: false })));
  readonly to_out = new Linear(128, 128);
  readonly ln2 = new LayerNorm(128);
  readonly ff_in = new Linear(128, 512);
  readonly ff_out = new Linear(512, 128);
  readonly proj_out = new Linear(128, 128);
  readonly mid = new ResnetBlock2D({ in_channels: 128, out_channels: 128, temb_channels: 128, groups: 32 });
  readonly up = new Upsample2D(128, { use_conv: true });
  readonly up0 = new ResnetBlock2D({ in_channels: 192, out_channels: 64, temb_channels: 128, groups: 32 });
  readonly norm_out = new GroupNorm(32, 64);
  readonly conv_out = new Conv2d(64, 4, 3, { padding: 1 });

  run(ops: Ops, x: tf.Tensor4D, t: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      const temb = ops.linear(this.time_2, ops.silu(ops.linear(this.time_1, t))) as tf.Tensor2D;
      const h0 = resnet(ops, this.down0, ops.conv(this.conv_in, x), temb);
      let h = resnet(ops, this.down1, ops.conv(this.down.conv!, h0), temb);
      h = tf.add(h, this.transformer(ops, h));
      h = resnet(ops, this.mid, h, temb);
      h = ops.conv(this.up.conv!, tf.image.resizeNearestNeighbor(h, [h0.shape[1], h0.shape[2]]));
      h = resnet(ops, this.up0, tf.concat([h, h0], 3), temb);
      return ops.conv(this.conv_out, ops.silu(ops.groupNorm(this.norm_out, h)) as tf.Tensor4D);
    });
  }

  private transformer(ops: Ops, x: tf.Tensor4D): tf.Tensor4D {
    const [n, hh, ww, c] = x.shape;
    const heads = 4;
    const d = c / heads;
    let h = ops.linear(this.proj_in, tf.reshape(ops.groupNorm(this.attn_norm, x), [n, hh * ww, c]));
    const normed = ops.layerNorm(this.ln1, h);
    // The usual batched formulation: [N * heads, L, d] products with a transposed key.
    const split = (lin: Linear): tf.Tensor3D =>
      tf.reshape(tf.transpose(tf.reshape(ops.linear(lin, normed), [n, hh * ww, heads, d]), [0, 2, 1, 3]), [n * heads, hh * ww, d]);
    const [q, k, v] = [...this.qkv].map(split) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
    const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)));
    const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(attn, v), [n, heads, hh * ww, d]), [0, 2, 1, 3]), [n, hh * ww, c]);
    h = tf.add(h, ops.linear(this.to_out, o));
    h = tf.add(h, ops.linear(this.ff_out, gelu(ops.linear(this.ff_in, ops.layerNorm(this.ln2, h)))));
    return tf.reshape(ops.linear(this.proj_out, h), [n, hh, ww, c]);
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

const rng = createRng('layers.bench');
const normal = (shape: number[]): tf.Tensor => rng.normal(shape);
const asVar = (t: tf.Tensor): tf.Variable => {
  const v = tf.variable(t);
  t.dispose();
  return v;
};

async function kernels(): Promise<void> {
  console.log('\n### wasm kernels: before (tfjs 4.22, YONOS filter gradient as a conv) vs now');
  console.log('| op | before | now | max rel. diff |\n|---|---|---|---|');
  const a = normal([1024, 256]);
  const b = normal([256, 256]);
  const q = normal([8, 256, 64]);
  const k = normal([8, 256, 64]);
  const x = normal([4, 32, 32, 128]);
  const dyShort = normal([64, 2048]);
  const wWide = normal([256, 2048]);
  const xs = normal([1, 16, 16, 128]);
  const dys = normal([1, 16, 16, 128]);
  const x1 = normal([8, 32, 32, 64]);
  const dy1 = normal([8, 32, 32, 128]);
  const filterGrad = (input: tf.Tensor, dy: tf.Tensor, k: number): Run => () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: input, dy }, {
      strides: 1,
      pad: 'same',
      dataFormat: 'NHWC',
      filterShape: [k, k, input.shape[3]!, dy.shape[3]!],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const cases: Array<[string, Run]> = [
    ['matMul [1024,256]x[256,256] (plain, native in both)', () => tf.matMul(a, b)],
    ['matMul transposeA (dW = x^T dy)', () => tf.matMul(a, a, true, false)],
    ['matMul transposeB (dx = dy W^T)', () => tf.matMul(a, b, false, true)],
    ['matMul transposeB, short dy: [64,2048] x [256,2048]^T', () => tf.matMul(dyShort, wWide, false, true)],
    ['batchMatMul [8,256,64] q k^T', () => tf.matMul(q, k, false, true)],
    ['batchMatMul [8,256,256] attn v', () => tf.matMul(tf.softmax(tf.matMul(q, k, false, true)), q)],
    ['slice half the channels of [4,32,32,128]', () => tf.slice(x, [0, 0, 0, 0], [4, 32, 32, 64])],
    ['slice one sample of [4,32,32,128]', () => tf.slice(x, [2, 0, 0, 0], [1, 32, 32, 128])],
    ['split [4,32,32,128] in 2 on channels', () => tf.split(x, 2, 3)],
    ['concat 2x [4,32,32,128] on channels', () => tf.concat([x, x], 3)],
    ['conv filter gradient 3x3 [1,16,16,128] -> 128', filterGrad(xs, dys, 3)],
    ['conv filter gradient 1x1 [8,32,32,64] -> 128', filterGrad(x1, dy1, 1)],
  ];
  for (const [label, run] of cases) {
    legacyKernels();
    const want = tf.tidy(run);
    currentKernels();
    const diff = relDiff(run, () => want);
    await compare(label, [
      { label: 'before', run, setup: legacyKernels },
      { label: 'now', run, setup: currentKernels },
    ], diff);
  }
  tf.dispose([a, b, q, k, x, dyShort, wWide, xs, dys, x1, dy1]);
}

async function layers(): Promise<void> {
  console.log('\n### layers, forward + backward (input and parameter gradients): legacy (baseline) vs current');
  console.log('| layer | legacy | current | alternatives ... | max rel. diff (current vs legacy) |\n|---|---|---|---|---|');
  const shapes: Array<[number[], number]> = quick
    ? [[[2, 32, 32, 64], 32]]
    : [
        [[2, 32, 32, 64], 32],
        [[1, 64, 64, 128], 32],
        [[4, 16, 16, 256], 32],
      ];
  for (const [shape, groups] of shapes) {
    const gn = new GroupNorm(groups, shape[3]!, { eps: 1e-6 }).initialize(rng);
    const x = asVar(tf.tidy(() => tf.add(normal(shape), 3)));
    const cot = normal(shape);
    const legacy = trainStep(gn, [x], () => legacyGroupNorm(gn, x), cot);
    const current = trainStep(gn, [x], () => gn.forward(x), cot);
    const diff = relDiff(current, legacy);
    await compare(`GroupNorm ${groups} groups [${shape.join(',')}]`, [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
    ], diff);
    tf.dispose([x, cot]);
    gn.dispose();
  }

  for (const [rows, fin, fout] of quick ? [[1024, 128, 128]] : [[1024, 128, 128], [4096, 64, 64], [1024, 128, 512], [256, 256, 256]]) {
    const lin = new Linear(fin!, fout!).initialize(rng);
    const x = asVar(normal([rows!, fin!]));
    const cot = normal([rows!, fout!]);
    const w = lin.weight.value;
    const bias = lin.bias!.value;
    const fusedMatMul = (): tf.Tensor => tf.fused.matMul({ a: x, b: w, bias });
    const conv1x1 = (): tf.Tensor =>
      tf.add(tf.conv2d(tf.reshape(x, [1, rows!, 1, fin!]) as tf.Tensor4D, tf.reshape(w, [1, 1, fin!, fout!]) as tf.Tensor4D, 1, 'valid'), bias);
    const fusedConv = (): tf.Tensor =>
      tf.fused.conv2d({ x: tf.reshape(x, [1, rows!, 1, fin!]) as tf.Tensor4D, filter: tf.reshape(w, [1, 1, fin!, fout!]) as tf.Tensor4D, strides: 1, pad: 'valid', bias });
    const step = (f: () => tf.Tensor): Run => trainStep(lin, [x], () => tf.reshape(f(), [rows!, fout!]), cot);
    const diff = relDiff(trainStep(lin, [x], () => lin.forward(x), cot), trainStep(lin, [x], () => legacyLinear(lin, x), cot));
    await compare(`Linear [${rows},${fin}] -> ${fout}`, [
      { label: 'legacy', run: trainStep(lin, [x], () => legacyLinear(lin, x), cot), setup: legacyKernels },
      { label: 'current', run: trainStep(lin, [x], () => lin.forward(x), cot), setup: currentKernels },
      { label: 'matMul+add', run: step(() => tf.add(tf.matMul(x, w), bias)), setup: currentKernels },
      { label: 'fused matMul', run: step(fusedMatMul), setup: currentKernels },
      { label: '1x1 conv+add', run: step(conv1x1), setup: currentKernels },
      { label: 'fused 1x1 conv', run: step(fusedConv), setup: currentKernels },
    ], diff);
    tf.dispose([x, cot]);
    lin.dispose();
  }

  for (const [shape, cout] of (quick ? [[[2, 32, 32, 64], 64]] : [[[2, 32, 32, 64], 64], [[1, 16, 16, 256], 256]]) as Array<[number[], number]>) {
    const conv = new Conv2d(shape[3]!, cout, 3, { padding: 1 }).initialize(rng);
    const x = asVar(normal(shape));
    const cot = normal([shape[0]!, shape[1]!, shape[2]!, cout]);
    const current = trainStep(conv, [x], () => conv.forward(x as tf.Tensor as tf.Tensor4D), cot);
    const legacy = trainStep(conv, [x], () => legacyConv(conv, x as tf.Tensor as tf.Tensor4D), cot);
    const xc = x as tf.Tensor as tf.Tensor4D;
    const w = conv.weight.value as tf.Tensor4D;
    const bias = conv.bias!.value;
    const same: tf.backend_util.ExplicitPadding = [[0, 0], [1, 1], [1, 1], [0, 0]];
    await compare(`Conv2d 3x3 + bias [${shape.join(',')}] -> ${cout}`, [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
      { label: 'conv+add', run: trainStep(conv, [x], () => tf.add(tf.conv2d(xc, w, 1, same), bias), cot), setup: currentKernels },
      { label: 'fused conv', run: trainStep(conv, [x], () => tf.fused.conv2d({ x: xc, filter: w, strides: 1, pad: same, bias }), cot), setup: currentKernels },
    ], relDiff(current, legacy));
    tf.dispose([x, cot]);
    conv.dispose();
  }

  {
    const ln = new LayerNorm(128).initialize(rng);
    const x = asVar(tf.tidy(() => tf.add(normal([2, 1024, 128]), 2)));
    const cot = normal([2, 1024, 128]);
    const current = trainStep(ln, [x], () => ln.forward(x), cot);
    const legacy = trainStep(ln, [x], () => legacyLayerNorm(ln, x), cot);
    await compare('LayerNorm [2,1024,128]', [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
    ], relDiff(current, legacy));
    tf.dispose([x, cot]);
    ln.dispose();
  }

  {
    const none = new Module();
    const x = asVar(normal([2, 32, 32, 64]));
    const cot = normal([2, 32, 32, 64]);
    const current = trainStep(none, [x], () => silu(x), cot);
    const legacy = trainStep(none, [x], () => legacySilu(x), cot);
    await compare('SiLU [2,32,32,64]', [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
    ], relDiff(current, legacy));
    tf.dispose([x, cot]);
  }
}

async function blocks(): Promise<void> {
  console.log('\n### blocks, forward + backward: legacy layers and tfjs kernels (baseline) vs current');
  console.log('| block | legacy | current | max rel. diff |\n|---|---|---|---|');
  const cases: Array<[string, number[], number | null]> = quick
    ? [['ResnetBlock2D 64ch + temb', [2, 32, 32, 64], 128]]
    : [
        ['ResnetBlock2D 64ch + temb', [2, 32, 32, 64], 128],
        ['ResnetBlock2D 128ch (VAE style)', [1, 32, 32, 128], null],
      ];
  for (const [label, shape, tembCh] of cases) {
    const block = new ResnetBlock2D({ in_channels: shape[3]!, out_channels: shape[3]!, temb_channels: tembCh, groups: 32 }).initialize(rng);
    const x = asVar(normal(shape));
    const temb = tembCh === null ? null : asVar(normal([shape[0]!, tembCh]));
    const cot = normal(shape);
    const inputs = temb === null ? [x] : [x, temb];
    const current = trainStep(block, inputs, () => block.forward(x as tf.Tensor as tf.Tensor4D, temb as tf.Tensor2D | null), cot);
    const legacy = trainStep(block, inputs, () => resnet(LEGACY, block, x as tf.Tensor as tf.Tensor4D, temb as tf.Tensor2D | null), cot);
    await compare(`${label} [${shape.join(',')}]`, [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
    ], relDiff(current, legacy));
    tf.dispose([...inputs, cot]);
    block.dispose();
  }
  const net = new TinyUNet().initialize(rng);
  for (const batch of quick ? [1] : [1, 2]) {
    const x = asVar(normal([batch, 32, 32, 8]));
    const t = asVar(normal([batch, 32]));
    const cot = normal([batch, 32, 32, 4]);
    const current = trainStep(net, [x, t], () => net.run(CURRENT, x as tf.Tensor as tf.Tensor4D, t as tf.Tensor as tf.Tensor2D), cot);
    const legacy = trainStep(net, [x, t], () => net.run(LEGACY, x as tf.Tensor as tf.Tensor4D, t as tf.Tensor as tf.Tensor2D), cot);
    await compare(`U-Net-like stack 64/128ch, attention at 16x16 [${batch},32,32,8]`, [
      { label: 'legacy', run: legacy, setup: legacyKernels },
      { label: 'current', run: current, setup: currentKernels },
    ], relDiff(current, legacy));
    tf.dispose([x, t, cot]);
  }
  net.dispose();
}

// Registered from the Node module directly, so that the bench also runs without the `source`
// export condition.
await registerAllGradientsInNode();
const cpus = os.cpus();
console.log('# core layers: training speed (forward + backward), ratios to the baseline of the same run');
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join('/')}, ` +
    `${os.platform()} ${os.arch()}, Node ${process.version}, tfjs ${tf.version_core}; ${rounds} rounds of >= ${minMs} ms per variant`,
);
for (const backend of backends) {
  const info = await useBackend(backend);
  const raw = await measureConvThroughput(backend, undefined, minMs);
  console.log(`\n## backend ${info.name}${info.wasm ? ` (simd ${info.wasm.simd}, threads ${info.wasm.threads})` : ''}: raw conv2d ${raw.gflops.toFixed(1)} GFLOP/s`);
  const before = tf.memory().numTensors;
  if (backend === 'wasm') await kernels();
  await layers();
  await blocks();
  if (tf.memory().numTensors !== before) throw new Error(`${backend}: ${tf.memory().numTensors - before} tensors leaked`);
}
