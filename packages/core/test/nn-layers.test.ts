import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApproximateGELU,
  Attention,
  Conv2d,
  Downsample2D,
  Dropout,
  GEGLU,
  GELU,
  GroupNorm,
  LayerNorm,
  Linear,
  MissingRngError,
  Module,
  NnArgumentError,
  ResnetBlock2D,
  TimestepEmbedding,
  Timesteps,
  Upsample2D,
  gelu,
  getActivation,
  getTimestepEmbedding,
  mish,
  silu,
} from '../src/nn/index.js';
import type { Conv2dPadding } from '../src/nn/index.js';
import { useBackend } from '../src/backend/index.js';
import { createRng } from '../src/random/index.js';
import type { Rng } from '../src/random/index.js';
import {
  addHost,
  absError,
  attentionHost,
  conv2dHost,
  geluHost,
  geluTanhHost,
  groupNormHost,
  host,
  layerNormHost,
  linearHost,
  mapHost,
  nearestHost,
  relError,
  siluHost,
  zerosHost,
} from './nn-host.js';
import type { HostTensor } from './nn-host.js';

// float32 forward passes of these tiny layers agree with float64 references to ~1e-6 relative;
// 1e-5 leaves room for summation order without hiding a wrong formula (those err by > 1e-2).
const TOL = 1e-5;

function toHost(t: tf.Tensor): HostTensor {
  return host(t.shape, t.dataSync());
}

/** The module's parameters in PyTorch layout, on the host. */
function torchParams(m: Module): Map<string, HostTensor> {
  const sd = m.stateDict({ layout: 'torch' });
  const out = new Map<string, HostTensor>();
  for (const [name, t] of sd) {
    out.set(name, toHost(t));
    t.dispose();
  }
  return out;
}

/** Initialize every parameter with non-trivial values (norm scales/biases too). */
function randomize(m: Module, rng: Rng): void {
  for (const [name, p] of m.namedParameters()) {
    const v = rng.fork(name).uniform(p.shape, -0.5, 0.5);
    const shifted = name.endsWith('norm1.weight') || /norm.*weight$/.test(name) ? tf.add(v, 1) : v;
    p.assign(shifted);
    if (shifted !== v) shifted.dispose();
    v.dispose();
  }
}

/** Runs `fn`, disposes its output, and checks no tensor was left behind. Returns the output on the host. */
function leakFree(fn: () => tf.Tensor): HostTensor {
  const before = tf.memory().numTensors;
  const out = fn();
  const h = toHost(out);
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return h;
}

let rng: Rng;
function input(shape: number[], offset = 0): tf.Tensor {
  const u = rng.uniform(shape, -1 + offset, 1 + offset);
  return u;
}

beforeAll(async () => {
  await useBackend('cpu');
  rng = createRng(20240607);
});

describe('Linear', () => {
  it('matches x W^T + b with the PyTorch weight, any rank', () => {
    const lin = new Linear(6, 5);
    randomize(lin, rng);
    const p = torchParams(lin);
    const x = input([2, 3, 6]);
    const y = leakFree(() => lin.forward(x));
    expect(y.shape).toEqual([2, 3, 5]);
    expect(relError(y.data, linearHost(toHost(x), p.get('weight')!, p.get('bias')!).data)).toBeLessThan(TOL);
    const noBias = new Linear(6, 5, { bias: false });
    randomize(noBias, rng);
    const q = torchParams(noBias);
    expect(relError(leakFree(() => noBias.forward(x)).data, linearHost(toHost(x), q.get('weight')!, null).data)).toBeLessThan(TOL);
    expect(() => lin.forward(tf.zeros([2, 4]))).toThrow(NnArgumentError);
    x.dispose();
    lin.dispose();
    noBias.dispose();
  });
});

describe('Conv2d', () => {
  interface ConvCase {
    name: string;
    k: number | [number, number];
    stride?: number;
    padding?: Conv2dPadding;
    pads: [[number, number], [number, number]];
    bias?: boolean;
  }
  const cases: ConvCase[] = [
    { name: '3x3 pad 1', k: 3, padding: 1, pads: [[1, 1], [1, 1]] },
    { name: '3x3 stride 2 pad 1', k: 3, stride: 2, padding: 1, pads: [[1, 1], [1, 1]] },
    { name: '3x3 stride 2 asymmetric', k: 3, stride: 2, padding: [[0, 1], [0, 1]], pads: [[0, 1], [0, 1]] },
    { name: "3x2 'same'", k: [3, 2], padding: 'same', pads: [[1, 1], [0, 1]] },
    { name: '1x1 no bias', k: 1, pads: [[0, 0], [0, 0]], bias: false },
    { name: "4x4 'valid'", k: 4, padding: 'valid', pads: [[0, 0], [0, 0]] },
  ];
  for (const c of cases) {
    it(`${c.name} matches a direct convolution with the OIHW weight`, () => {
      const conv = new Conv2d(3, 4, c.k, { stride: c.stride ?? 1, padding: c.padding ?? 0, bias: c.bias ?? true });
      randomize(conv, rng);
      const p = torchParams(conv);
      const x = input([2, 7, 6, 3]);
      const y = leakFree(() => conv.forward(x as tf.Tensor4D));
      const s = c.stride ?? 1;
      const ref = conv2dHost(toHost(x), p.get('weight')!, p.get('bias') ?? null, [s, s], c.pads);
      expect(y.shape).toEqual(ref.shape);
      expect(relError(y.data, ref.data)).toBeLessThan(TOL);
      x.dispose();
      conv.dispose();
    });
  }

  it('asymmetric padding equals an explicit tf.pad then a valid convolution', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: [[0, 1], [2, 0]] });
    randomize(conv, rng);
    const x = input([1, 6, 5, 2]);
    const y = leakFree(() => conv.forward(x as tf.Tensor4D));
    const ref = tf.tidy(() =>
      tf.add(
        tf.conv2d(tf.pad(x, [[0, 0], [0, 1], [2, 0], [0, 0]]) as tf.Tensor4D, conv.weight.value as tf.Tensor4D, 2, 'valid'),
        conv.bias!.value,
      ),
    );
    expect(y.shape).toEqual(ref.shape);
    expect(absError(y.data, ref.dataSync())).toBe(0);
    ref.dispose();
    x.dispose();
    conv.dispose();
  });

  it("rejects 'same' with stride 2 and wrong channel counts", () => {
    expect(() => new Conv2d(2, 2, 3, { stride: 2, padding: 'same' })).toThrow(NnArgumentError);
    const conv = new Conv2d(2, 2, 3).initialize(rng);
    expect(() => conv.forward(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D)).toThrow(/expects 2 channels/);
    conv.dispose();
  });
});

describe('GroupNorm and LayerNorm', () => {
  it('GroupNorm matches a loop over groups (NHWC and [N, L, C], large mean offset)', () => {
    const gn = new GroupNorm(4, 8, { eps: 1e-6 });
    randomize(gn, rng);
    const p = torchParams(gn);
    for (const shape of [[2, 4, 5, 8], [3, 7, 8], [4, 8]]) {
      const x = input(shape, 5);
      const y = leakFree(() => gn.forward(x));
      const ref = groupNormHost(toHost(x), 4, 1e-6, p.get('weight')!, p.get('bias')!);
      expect(relError(y.data, ref.data)).toBeLessThan(TOL);
      x.dispose();
    }
    const plain = new GroupNorm(2, 4, { affine: false });
    expect(plain.expectedShapes().size).toBe(0);
    const x = input([1, 3, 3, 4]);
    expect(relError(leakFree(() => plain.forward(x)).data, groupNormHost(toHost(x), 2, 1e-5, null, null).data)).toBeLessThan(TOL);
    x.dispose();
    gn.dispose();
    expect(() => new GroupNorm(3, 8)).toThrow(NnArgumentError);
  });

  it('LayerNorm matches the per-position formula', () => {
    const ln = new LayerNorm(6);
    randomize(ln, rng);
    const p = torchParams(ln);
    const x = input([2, 5, 6], 3);
    const y = leakFree(() => ln.forward(x));
    expect(relError(y.data, layerNormHost(toHost(x), 1e-5, p.get('weight')!, p.get('bias')!).data)).toBeLessThan(TOL);
    const noAffine = new LayerNorm(6, { elementwise_affine: false, eps: 1e-6 });
    expect(noAffine.expectedShapes().size).toBe(0);
    expect(relError(leakFree(() => noAffine.forward(x)).data, layerNormHost(toHost(x), 1e-6, null, null).data)).toBeLessThan(TOL);
    x.dispose();
    ln.dispose();
  });
});

describe('activations', () => {
  it('silu, gelu (erf and tanh), mish match their formulas', () => {
    const x = tf.tidy(() => tf.mul(input([400]), 6));
    const hx = toHost(x);
    expect(absError(leakFree(() => silu(x)).data, mapHost(hx, siluHost).data)).toBeLessThan(2e-6);
    // tfjs' erf is a rational approximation with |error| <= 1.5e-7, scaled here by |x|/2 <= 3.
    expect(absError(leakFree(() => gelu(x)).data, mapHost(hx, geluHost).data)).toBeLessThan(2e-6);
    expect(absError(leakFree(() => gelu(x, 'tanh')).data, mapHost(hx, geluTanhHost).data)).toBeLessThan(2e-6);
    const mishHost = (v: number): number => v * Math.tanh(Math.log1p(Math.exp(v)));
    expect(absError(leakFree(() => mish(x)).data, mapHost(hx, mishHost).data)).toBeLessThan(2e-6);
    // The two GELUs really differ, so the checks above can tell them apart.
    expect(absError(mapHost(hx, geluHost).data, mapHost(hx, geluTanhHost).data)).toBeGreaterThan(1e-4);
    expect(getActivation('SiLU')).toBe(silu);
    expect(() => getActivation('softsign')).toThrow(NnArgumentError);
    x.dispose();
  });

  it('GEGLU: first half of proj is the value, second half the gate', () => {
    const m = new GEGLU(5, 3);
    randomize(m, rng);
    const p = torchParams(m);
    const x = input([2, 4, 5]);
    const y = leakFree(() => m.forward(x));
    const proj = linearHost(toHost(x), p.get('proj.weight')!, p.get('proj.bias')!);
    const expected = zerosHost([2, 4, 3]);
    const swapped = zerosHost([2, 4, 3]);
    for (let r = 0; r < 8; r++)
      for (let j = 0; j < 3; j++) {
        const value = proj.data[r * 6 + j]!;
        const gate = proj.data[r * 6 + 3 + j]!;
        expected.data[r * 3 + j] = value * geluHost(gate);
        swapped.data[r * 3 + j] = gate * geluHost(value);
      }
    expect(relError(y.data, expected.data)).toBeLessThan(TOL);
    expect(relError(y.data, swapped.data)).toBeGreaterThan(1e-2);
    x.dispose();
    m.dispose();
  });

  it('GELU and ApproximateGELU modules', () => {
    const x = input([3, 4]);
    for (const approximate of ['none', 'tanh'] as const) {
      const m = new GELU(4, 6, { approximate });
      randomize(m, rng);
      const p = torchParams(m);
      const proj = linearHost(toHost(x), p.get('proj.weight')!, p.get('proj.bias')!);
      const ref = mapHost(proj, approximate === 'none' ? geluHost : geluTanhHost);
      expect(relError(leakFree(() => m.forward(x)).data, ref.data)).toBeLessThan(TOL);
      m.dispose();
    }
    const a = new ApproximateGELU(4, 6);
    randomize(a, rng);
    const p = torchParams(a);
    const proj = linearHost(toHost(x), p.get('proj.weight')!, p.get('proj.bias')!);
    const ref = mapHost(proj, (v) => v / (1 + Math.exp(-1.702 * v)));
    expect(relError(leakFree(() => a.forward(x)).data, ref.data)).toBeLessThan(TOL);
    a.dispose();
    x.dispose();
  });
});

describe('Attention', () => {
  function reference(m: Attention, x: HostTensor, context: HostTensor | null, groups: number | null, eps: number): HostTensor {
    const p = torchParams(m);
    const n = x.shape[0]!;
    const c = x.shape[x.shape.length - 1]!;
    const seq = host([n, x.data.length / n / c, c], x.data);
    const h = groups === null ? seq : groupNormHost(seq, groups, eps, p.get('group_norm.weight')!, p.get('group_norm.bias')!);
    let ctx = context ?? h;
    if (context && m.norm_cross) ctx = layerNormHost(context, 1e-5, p.get('norm_cross.weight')!, p.get('norm_cross.bias')!);
    const q = linearHost(h, p.get('to_q.weight')!, p.get('to_q.bias') ?? null);
    const k = linearHost(ctx, p.get('to_k.weight')!, p.get('to_k.bias') ?? null);
    const v = linearHost(ctx, p.get('to_v.weight')!, p.get('to_v.bias') ?? null);
    const dimHead = m.inner_dim / m.heads;
    const attn = attentionHost(q, k, v, m.heads, m.scale);
    expect(m.scale).toBeCloseTo(dimHead ** -0.5, 12);
    let out = linearHost(attn, p.get('to_out.0.weight')!, p.get('to_out.0.bias') ?? null);
    out = host([...x.shape.slice(0, -1), m.out_dim], out.data);
    if (m.residual_connection) out = addHost(out, x);
    return mapHost(out, (val) => val / m.rescale_output_factor);
  }

  it('self-attention on [N, L, C], 2 heads, no qkv bias', () => {
    const m = new Attention({ query_dim: 8, heads: 2, dim_head: 4 });
    randomize(m, rng);
    expect(m.to_q.bias).toBeNull();
    const x = input([2, 5, 8]);
    const y = leakFree(() => m.forward(x));
    expect(relError(y.data, reference(m, toHost(x), null, null, 0).data)).toBeLessThan(TOL);
    x.dispose();
    m.dispose();
  });

  it('cross-attention with a context of another width and inner_dim != query_dim', () => {
    const m = new Attention({ query_dim: 8, cross_attention_dim: 6, heads: 2, dim_head: 3 });
    randomize(m, rng);
    const x = input([2, 5, 8]);
    const ctx = input([2, 3, 6]);
    const y = leakFree(() => m.forward(x, ctx));
    expect(y.shape).toEqual([2, 5, 8]);
    expect(relError(y.data, reference(m, toHost(x), toHost(ctx), null, 0).data)).toBeLessThan(TOL);
    expect(() => m.forward(x, tf.zeros([2, 3, 8]))).toThrow(NnArgumentError);
    x.dispose();
    ctx.dispose();
    m.dispose();
  });

  it('VAE-style on NHWC: group_norm, biases, residual connection, output rescale', () => {
    const m = new Attention({
      query_dim: 8,
      heads: 1,
      dim_head: 8,
      norm_num_groups: 2,
      eps: 1e-6,
      bias: true,
      residual_connection: true,
      rescale_output_factor: 2,
    });
    randomize(m, rng);
    const x = input([2, 3, 4, 8]);
    const y = leakFree(() => m.forward(x));
    expect(y.shape).toEqual([2, 3, 4, 8]);
    expect(relError(y.data, reference(m, toHost(x), null, 2, 1e-6).data)).toBeLessThan(TOL);
    x.dispose();
    m.dispose();
  });

  it('cross_attention_norm layer_norm normalizes the context', () => {
    const m = new Attention({ query_dim: 4, cross_attention_dim: 6, heads: 2, dim_head: 2, cross_attention_norm: 'layer_norm' });
    randomize(m, rng);
    const x = input([1, 3, 4]);
    const ctx = input([1, 5, 6], 2);
    expect(relError(leakFree(() => m.forward(x, ctx)).data, reference(m, toHost(x), toHost(ctx), null, 0).data)).toBeLessThan(TOL);
    x.dispose();
    ctx.dispose();
    m.dispose();
  });
});

describe('Upsample2D and Downsample2D', () => {
  it('nearest x2 and to an explicit size, then conv', () => {
    const plain = new Upsample2D(3);
    const x = input([2, 3, 4, 3]);
    const hx = toHost(x);
    expect(absError(leakFree(() => plain.forward(x as tf.Tensor4D)).data, nearestHost(hx, 6, 8).data)).toBe(0);
    const sized = leakFree(() => plain.forward(x as tf.Tensor4D, [5, 7]));
    expect(sized.shape).toEqual([2, 5, 7, 3]);
    expect(absError(sized.data, nearestHost(hx, 5, 7).data)).toBe(0);

    const up = new Upsample2D(3, { use_conv: true, out_channels: 5 });
    randomize(up, rng);
    const p = torchParams(up);
    const ref = conv2dHost(nearestHost(hx, 6, 8), p.get('conv.weight')!, p.get('conv.bias')!, [1, 1], [[1, 1], [1, 1]]);
    expect(relError(leakFree(() => up.forward(x as tf.Tensor4D)).data, ref.data)).toBeLessThan(TOL);
    x.dispose();
    up.dispose();
  });

  it('the x2 gradient sums each 2x2 block of the upstream gradient, for every batch item', () => {
    const up = new Upsample2D(3);
    const x = input([2, 3, 4, 3]);
    const w = input([2, 6, 8, 3]);
    const g = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(up.forward(inp as tf.Tensor4D), w)))(x);
    const hw = toHost(w);
    const expected = zerosHost([2, 3, 4, 3]);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 8; j++)
          for (let c = 0; c < 3; c++) {
            expected.data[((b * 3 + (i >> 1)) * 4 + (j >> 1)) * 3 + c]! += hw.data[((b * 6 + i) * 8 + j) * 3 + c]!;
          }
    expect(absError(g.dataSync(), expected.data)).toBeLessThan(1e-6);
    tf.dispose([g, x, w]);
  });

  it('padding 0 pads right/bottom only (diffusers), padding 1 is symmetric, no conv is 2x2 average pooling', () => {
    for (const [padding, pads] of [
      [0, [[0, 1], [0, 1]]],
      [1, [[1, 1], [1, 1]]],
    ] as const) {
      const down = new Downsample2D(3, { use_conv: true, padding, out_channels: 4 });
      randomize(down, rng);
      const p = torchParams(down);
      for (const size of [6, 7]) {
        const x = input([1, size, size, 3]);
        const y = leakFree(() => down.forward(x as tf.Tensor4D));
        const ref = conv2dHost(toHost(x), p.get('conv.weight')!, p.get('conv.bias')!, [2, 2], pads as never);
        expect(y.shape).toEqual(ref.shape);
        expect(relError(y.data, ref.data)).toBeLessThan(TOL);
        x.dispose();
      }
      down.dispose();
    }
    const pool = new Downsample2D(2);
    const x = input([1, 4, 6, 2]);
    const hx = toHost(x);
    const y = leakFree(() => pool.forward(x as tf.Tensor4D));
    expect(y.shape).toEqual([1, 2, 3, 2]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let c = 0; c < 2; c++) {
          const at = (yy: number, xx: number): number => hx.data[(yy * 6 + xx) * 2 + c]!;
          const mean = (at(2 * i, 2 * j) + at(2 * i, 2 * j + 1) + at(2 * i + 1, 2 * j) + at(2 * i + 1, 2 * j + 1)) / 4;
          expect(Math.abs(y.data[(i * 3 + j) * 2 + c]! - mean)).toBeLessThan(1e-6);
        }
    x.dispose();
  });
});

describe('ResnetBlock2D', () => {
  function reference(m: ResnetBlock2D, x: HostTensor, temb: HostTensor | null, groups: number, eps: number): HostTensor {
    const p = torchParams(m);
    let h = mapHost(groupNormHost(x, groups, eps, p.get('norm1.weight')!, p.get('norm1.bias')!), siluHost);
    h = conv2dHost(h, p.get('conv1.weight')!, p.get('conv1.bias')!, [1, 1], [[1, 1], [1, 1]]);
    const c = h.shape[3]!;
    let scaleShift: HostTensor | null = null;
    if (temb) {
      const t = linearHost(mapHost(temb, siluHost), p.get('time_emb_proj.weight')!, p.get('time_emb_proj.bias')!);
      if (m.time_embedding_norm === 'default') {
        h = { shape: h.shape, data: h.data.map((v, i) => v + t.data[Math.floor(i / (h.data.length / h.shape[0]!)) * c + (i % c)]!) };
      } else {
        scaleShift = t;
      }
    }
    h = groupNormHost(h, groups, eps, p.get('norm2.weight')!, p.get('norm2.bias')!);
    if (scaleShift) {
      const per = h.data.length / h.shape[0]!;
      h = {
        shape: h.shape,
        data: h.data.map((v, i) => {
          const b = Math.floor(i / per);
          const ch = i % c;
          return v * (1 + scaleShift!.data[b * 2 * c + ch]!) + scaleShift!.data[b * 2 * c + c + ch]!;
        }),
      };
    }
    h = conv2dHost(mapHost(h, siluHost), p.get('conv2.weight')!, p.get('conv2.bias')!, [1, 1], [[1, 1], [1, 1]]);
    const skip = p.has('conv_shortcut.weight')
      ? conv2dHost(x, p.get('conv_shortcut.weight')!, p.get('conv_shortcut.bias')!, [1, 1], [[0, 0], [0, 0]])
      : x;
    return mapHost(addHost(skip, h), (v) => v / m.output_scale_factor);
  }

  it('with time embedding and a channel change (1x1 shortcut), output_scale_factor 2', () => {
    const m = new ResnetBlock2D({ in_channels: 4, out_channels: 6, temb_channels: 5, groups: 2, eps: 1e-5, output_scale_factor: 2 });
    randomize(m, rng);
    const x = input([2, 5, 4, 4]);
    const temb = input([2, 5]);
    const y = leakFree(() => m.forward(x as tf.Tensor4D, temb as tf.Tensor2D));
    expect(y.shape).toEqual([2, 5, 4, 6]);
    expect(relError(y.data, reference(m, toHost(x), toHost(temb), 2, 1e-5).data)).toBeLessThan(TOL);
    x.dispose();
    temb.dispose();
    m.dispose();
  });

  it('VAE form (no time embedding, identity shortcut) and scale_shift form', () => {
    const vae = new ResnetBlock2D({ in_channels: 4, temb_channels: null, groups: 2 });
    randomize(vae, rng);
    const x = input([1, 4, 3, 4]);
    expect(relError(leakFree(() => vae.forward(x as tf.Tensor4D)).data, reference(vae, toHost(x), null, 2, 1e-6).data)).toBeLessThan(TOL);
    vae.dispose();

    const ss = new ResnetBlock2D({ in_channels: 4, temb_channels: 3, groups: 2, time_embedding_norm: 'scale_shift' });
    expect(ss.expectedShapes().get('time_emb_proj.weight')).toEqual([8, 3]);
    randomize(ss, rng);
    const temb = input([1, 3]);
    expect(relError(leakFree(() => ss.forward(x as tf.Tensor4D, temb as tf.Tensor2D)).data, reference(ss, toHost(x), toHost(temb), 2, 1e-6).data)).toBeLessThan(TOL);
    ss.dispose();
    temb.dispose();
    x.dispose();
  });
});

describe('timestep embeddings', () => {
  /** diffusers' formula in float64. */
  function embHost(ts: number[], dim: number, flip: boolean, shift: number): number[][] {
    const half = Math.floor(dim / 2);
    return ts.map((t) => {
      const row = new Array<number>(dim).fill(0);
      for (let i = 0; i < half; i++) {
        const arg = t * Math.exp((-Math.log(10000) * i) / (half - shift));
        row[i] = flip ? Math.cos(arg) : Math.sin(arg);
        row[half + i] = flip ? Math.sin(arg) : Math.cos(arg);
      }
      return row;
    });
  }

  it('matches the formula for numbers and tensors (flip, shift, odd width)', () => {
    const ts = [0, 1, 17, 500, 999];
    for (const [dim, flip, shift] of [[32, true, 0], [32, false, 1], [33, true, 1]] as const) {
      const ref = embHost(ts, dim, flip, shift).flat();
      const fromNumbers = leakFree(() => getTimestepEmbedding(ts, dim, { flip_sin_to_cos: flip, downscale_freq_shift: shift }));
      expect(fromNumbers.shape).toEqual([5, dim]);
      // float32 rounding of t * f (as PyTorch does) moves the argument by up to 999 * 2^-24 * 2 ~ 1.2e-4.
      expect(absError(fromNumbers.data, ref)).toBeLessThan(1.5e-4);
      const tt = tf.tensor1d(ts, 'int32');
      const fromTensor = leakFree(() => getTimestepEmbedding(tt as tf.Tensor1D, dim, { flip_sin_to_cos: flip, downscale_freq_shift: shift }));
      // Both paths round the same float32 arguments, so they agree far more tightly.
      expect(absError(fromTensor.data, fromNumbers.data)).toBeLessThan(1e-6);
      tt.dispose();
    }
    const module = new Timesteps(16, true, 0);
    expect(absError(leakFree(() => module.forward(3)).data, embHost([3], 16, true, 0).flat())).toBeLessThan(1e-6);
  });

  it('TimestepEmbedding is linear_2(silu(linear_1(x)))', () => {
    const m = new TimestepEmbedding(8, 12, { out_dim: 6 });
    randomize(m, rng);
    const p = torchParams(m);
    const x = input([3, 8]);
    const ref = linearHost(
      mapHost(linearHost(toHost(x), p.get('linear_1.weight')!, p.get('linear_1.bias')!), siluHost),
      p.get('linear_2.weight')!,
      p.get('linear_2.bias')!,
    );
    expect(relError(leakFree(() => m.forward(x as tf.Tensor2D)).data, ref.data)).toBeLessThan(TOL);
    x.dispose();
    m.dispose();
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and with p = 0', () => {
    const x = input([4, 4]);
    const d = new Dropout(0.3);
    expect(d.forward(x)).toBe(x);
    const zero = new Dropout(0).train();
    expect(zero.forward(x)).toBe(x);
    x.dispose();
  });

  it('in training zeroes about p of the elements, scales the rest, and is reproducible from the seed', () => {
    const x = tf.tidy(() => tf.add(input([40, 100]), 2));
    const hx = toHost(x);
    const run = (seed: number): HostTensor => {
      const d = new Dropout(0.3).train(createRng(seed));
      return leakFree(() => d.forward(x));
    };
    const a = run(1);
    let zeros = 0;
    a.data.forEach((v, i) => {
      if (v === 0) zeros++;
      else expect(Math.abs(v - hx.data[i]! / 0.7)).toBeLessThan(1e-5);
    });
    // Binomial(4000, 0.3): sd ~ 29, so +-0.03 * 4000 = 120 is four standard deviations.
    expect(Math.abs(zeros / 4000 - 0.3)).toBeLessThan(0.03);
    expect(Array.from(run(1).data)).toEqual(Array.from(a.data));
    expect(Array.from(run(2).data)).not.toEqual(Array.from(a.data));
    x.dispose();
  });

  it('throws MissingRngError in training without a generator', () => {
    const d = new Dropout(0.1).train();
    const x = tf.ones([2]);
    expect(() => d.forward(x)).toThrow(MissingRngError);
    x.dispose();
    expect(() => new Dropout(1)).toThrow(NnArgumentError);
  });
});

describe('gradients', () => {
  class Stack extends Module {
    readonly temb = new TimestepEmbedding(4, 6);
    readonly res = new ResnetBlock2D({ in_channels: 4, out_channels: 8, temb_channels: 6, groups: 2, dropout: 0.2 });
    readonly attn = new Attention({ query_dim: 8, heads: 2, dim_head: 4, norm_num_groups: 2, bias: true, residual_connection: true });
    readonly ff = new GEGLU(8, 4);
    readonly ln = new LayerNorm(4);
    forward(x: tf.Tensor4D, t: tf.Tensor2D): tf.Tensor {
      const h = this.attn.forward(this.res.forward(x, this.temb.forward(t)));
      return this.ln.forward(this.ff.forward(h));
    }
  }

  it('flow to every trainable parameter, skip frozen ones, and leak nothing', () => {
    const m = new Stack();
    randomize(m, rng);
    m.train(createRng(9));
    const x = input([2, 4, 4, 4]) as tf.Tensor4D;
    const t = input([2, 4]) as tf.Tensor2D;
    const w = input([2, 4, 4, 4]);
    const loss = (): tf.Scalar => tf.sum(tf.mul(m.forward(x, t), w));

    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(loss, m.trainableVariables());
    const names = new Map(m.namedParameters().map(([n, p]) => [p.value.name, n]));
    expect(Object.keys(grads).length).toBe(m.parameters().length);
    const maxAbs = new Map(Object.entries(grads).map(([v, g]) => [names.get(v)!, tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!)]));
    const scale = Math.max(...maxAbs.values());
    for (const [name, size] of maxAbs) {
      if (name === 'attn.to_k.bias') {
        // A bias on every key shifts each query's scores by a constant, which softmax ignores:
        // its gradient is identically zero (in PyTorch too), so only rounding noise is expected.
        expect(size, name).toBeLessThan(1e-5 * scale);
      } else {
        expect(size, name).toBeGreaterThan(1e-3 * scale);
      }
    }
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before);

    m.res.freeze();
    const frozen = new Set(m.res.parameters().map((p) => p.value.name));
    const trainable = m.trainableVariables();
    expect(trainable.some((v) => frozen.has(v.name))).toBe(false);
    // Without an explicit list tfjs uses every trainable variable: the frozen ones must not be among them.
    const all = tf.variableGrads(loss);
    for (const name of frozen) expect(all.grads[name]).toBeUndefined();
    for (const v of trainable) expect(all.grads[v.name]).toBeDefined();
    all.value.dispose();
    Object.values(all.grads).forEach((g) => g.dispose());

    for (const tensor of [x, t, w]) tensor.dispose();
    m.dispose();
  });

  it('GroupNorm gradients match central differences of the float64 reference', () => {
    const gn = new GroupNorm(2, 4, { eps: 1e-5 });
    randomize(gn, rng);
    const x = input([1, 3, 3, 4], 1);
    const wgt = input([1, 3, 3, 4]);
    const hx = toHost(x);
    const hw = toHost(wgt);
    const p = torchParams(gn);
    const f = (xx: HostTensor, scale: HostTensor): number =>
      groupNormHost(xx, 2, 1e-5, scale, p.get('bias')!).data.reduce((a, v, i) => a + v * hw.data[i]!, 0);

    const gx = tf.grad((inp: tf.Tensor) => tf.sum(tf.mul(gn.forward(inp), wgt)))(x);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(gn.forward(x), wgt)) as tf.Scalar, [gn.weight!.value]);
    const gw = grads[gn.weight!.value.name]!;

    const h = 1e-5;
    const numX = hx.data.map((_, i) => {
      const plus = host(hx.shape, hx.data);
      const minus = host(hx.shape, hx.data);
      plus.data[i]! += h;
      minus.data[i]! -= h;
      return (f(plus, p.get('weight')!) - f(minus, p.get('weight')!)) / (2 * h);
    });
    const numW = p.get('weight')!.data.map((_, i) => {
      const plus = host([4], p.get('weight')!.data);
      const minus = host([4], p.get('weight')!.data);
      plus.data[i]! += h;
      minus.data[i]! -= h;
      return (f(hx, plus) - f(hx, minus)) / (2 * h);
    });
    expect(relError(gx.dataSync(), numX)).toBeLessThan(1e-4);
    expect(relError(gw.dataSync(), numW)).toBeLessThan(1e-4);
    for (const tensor of [gx, gw, x, wgt]) tensor.dispose();
    gn.dispose();
  });
});
