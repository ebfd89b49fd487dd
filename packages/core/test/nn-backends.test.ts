import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, useBackend } from '../src/backend/index.js';
import type { BackendName } from '../src/backend/index.js';
import {
  Attention,
  Conv2d,
  Downsample2D,
  GEGLU,
  GroupNorm,
  LayerNorm,
  Linear,
  Module,
  ResnetBlock2D,
  TimestepEmbedding,
  Upsample2D,
  getTimestepEmbedding,
  gelu,
  silu,
} from '../src/nn/index.js';
import { createRng } from '../src/random/index.js';
import { relError } from './nn-host.js';

// The same layer, weights and inputs on cpu and on another backend must agree to 1e-4
// relative (forward and every gradient): only summation order and transcendental
// implementations differ.
const TOL = 1e-4;

interface Case {
  name: string;
  build: () => Module;
  inputs: number[][];
  /** The forward pass under test; gradients are taken for every input and every parameter. */
  run: (m: Module, xs: tf.Tensor[]) => tf.Tensor;
  /** Train mode (dropout) with a seeded generator. */
  train?: boolean;
}

const CASES: Case[] = [
  { name: 'Linear', build: () => new Linear(6, 5), inputs: [[2, 3, 6]], run: (m, [x]) => (m as Linear).forward(x!) },
  {
    name: 'Conv2d 3x3 pad 1',
    build: () => new Conv2d(3, 4, 3, { padding: 1 }),
    inputs: [[1, 6, 5, 3]],
    run: (m, [x]) => (m as Conv2d).forward(x as tf.Tensor4D),
  },
  {
    name: 'Downsample2D padding 0 (asymmetric)',
    build: () => new Downsample2D(3, { use_conv: true, padding: 0, out_channels: 4 }),
    inputs: [[1, 7, 6, 3]],
    run: (m, [x]) => (m as Downsample2D).forward(x as tf.Tensor4D),
  },
  {
    name: 'Downsample2D average pooling',
    build: () => new Downsample2D(3),
    inputs: [[1, 4, 6, 3]],
    run: (m, [x]) => (m as Downsample2D).forward(x as tf.Tensor4D),
  },
  {
    name: 'Upsample2D x2 + conv, and to an explicit size',
    build: () => new Upsample2D(3, { use_conv: true }),
    inputs: [[2, 3, 4, 3]],
    run: (m, [x]) => {
      const up = m as Upsample2D;
      return tf.concat([tf.reshape(up.forward(x as tf.Tensor4D), [-1]), tf.reshape(up.forward(x as tf.Tensor4D, [5, 7]), [-1])]);
    },
  },
  {
    name: 'GroupNorm',
    build: () => new GroupNorm(2, 6, { eps: 1e-6 }),
    inputs: [[2, 3, 4, 6]],
    run: (m, [x]) => (m as GroupNorm).forward(tf.add(x!, 3)),
  },
  {
    // Per-channel statistics pooled over 64 positions and 8 groups; [N, L, C] and [N, C] too.
    name: 'GroupNorm 8 groups, NHWC / [N, L, C] / [N, C]',
    build: () => new GroupNorm(8, 32, { eps: 1e-6 }),
    inputs: [[2, 8, 8, 32], [3, 10, 32], [4, 32]],
    run: (m, [x, s, v]) => {
      const gn = m as GroupNorm;
      return tf.concat([tf.reshape(gn.forward(tf.add(x!, 2)), [-1]), tf.reshape(gn.forward(s!), [-1]), tf.reshape(gn.forward(v!), [-1])]);
    },
  },
  { name: 'LayerNorm', build: () => new LayerNorm(6), inputs: [[2, 5, 6]], run: (m, [x]) => (m as LayerNorm).forward(x!) },
  {
    name: 'LayerNorm without bias, rank 4',
    build: () => new LayerNorm(24, { bias: false }),
    inputs: [[2, 3, 4, 24]],
    run: (m, [x]) => (m as LayerNorm).forward(tf.sub(x!, 1.5)),
  },
  {
    name: 'silu, gelu (erf and tanh)',
    build: () => new Module(),
    inputs: [[64]],
    run: (_m, [x]) => {
      const y = tf.mul(x!, 4);
      return tf.concat([silu(y), gelu(y), gelu(y, 'tanh')]);
    },
  },
  { name: 'GEGLU', build: () => new GEGLU(6, 4), inputs: [[2, 3, 6]], run: (m, [x]) => (m as GEGLU).forward(x!) },
  {
    name: 'Attention (VAE style, NHWC)',
    build: () =>
      new Attention({ query_dim: 8, heads: 1, dim_head: 8, norm_num_groups: 2, eps: 1e-6, bias: true, residual_connection: true }),
    inputs: [[1, 3, 4, 8]],
    run: (m, [x]) => (m as Attention).forward(x!),
  },
  {
    name: 'Attention (cross, 2 heads)',
    build: () => new Attention({ query_dim: 8, cross_attention_dim: 6, heads: 2, dim_head: 4 }),
    inputs: [[2, 5, 8], [2, 3, 6]],
    run: (m, [x, c]) => (m as Attention).forward(x!, c),
  },
  {
    name: 'ResnetBlock2D with time embedding and dropout (train mode)',
    build: () => new ResnetBlock2D({ in_channels: 4, out_channels: 6, temb_channels: 5, groups: 2, dropout: 0.25 }),
    inputs: [[2, 4, 4, 4], [2, 5]],
    run: (m, [x, t]) => (m as ResnetBlock2D).forward(x as tf.Tensor4D, t as tf.Tensor2D),
    train: true,
  },
  {
    name: 'Timesteps (device path) + TimestepEmbedding',
    build: () => new TimestepEmbedding(16, 8),
    inputs: [[3, 16]],
    run: (m, [x]) => {
      const t = tf.tensor1d([1, 250, 999], 'int32');
      const emb = getTimestepEmbedding(t as tf.Tensor1D, 16, { flip_sin_to_cos: true, downscale_freq_shift: 0 });
      return tf.concat([tf.reshape(emb, [-1]), tf.reshape((m as TimestepEmbedding).forward(tf.add(emb, x!) as tf.Tensor2D), [-1])]);
    },
  },
];

interface Result {
  out: Float32Array;
  grads: Map<string, Float32Array>;
}

/** Builds the case from fixed seeds on the active backend; returns the output and every gradient. */
async function evaluate(c: Case): Promise<Result> {
  const before = tf.memory().numTensors;
  const m = c.build().initialize(createRng(`${c.name}/weights`));
  const rng = createRng(`${c.name}/inputs`);
  // The cases' own glue (concat, reshape) is test code: keep its intermediates out of the leak count.
  const run = (module: Module, inputs: tf.Tensor[]): tf.Tensor => tf.tidy(() => c.run(module, inputs));
  const xs = c.inputs.map((shape) => rng.uniform(shape, -1, 1));
  if (c.train === true) m.train(createRng(`${c.name}/dropout`));
  const probe = run(m, xs);
  const w = rng.uniform(probe.shape, -1, 1);
  probe.dispose();

  const vars = m.trainableVariables();
  const names = m.namedParameters().map(([n]) => n);
  // Every call of run() in train mode draws a fresh mask; re-seed so the gradient pass reuses the probe's.
  if (c.train === true) m.train(createRng(`${c.name}/dropout`));
  const out = run(m, xs);
  const outData = (await out.data()) as Float32Array;
  out.dispose();

  const grads = new Map<string, Float32Array>();
  if (c.train === true) m.train(createRng(`${c.name}/dropout`));
  const loss = (...inputs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(run(m, inputs), w));
  const inputGrads = tf.grads(loss)(xs);
  for (const [i, g] of inputGrads.entries()) grads.set(`input${i}`, (await g.data()) as Float32Array);
  tf.dispose(inputGrads);
  if (vars.length > 0) {
    if (c.train === true) m.train(createRng(`${c.name}/dropout`));
    const { value, grads: vg } = tf.variableGrads(() => loss(...xs), vars);
    for (const [i, v] of vars.entries()) grads.set(names[i]!, (await vg[v.name]!.data()) as Float32Array);
    value.dispose();
    tf.dispose(Object.values(vg));
  }
  tf.dispose([...xs, w]);
  m.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return { out: outData, grads };
}

const reference = new Map<string, Result>();

beforeAll(async () => {
  await useBackend('cpu');
  for (const c of CASES) reference.set(c.name, await evaluate(c));
});

afterAll(async () => {
  await useBackend('cpu');
});

for (const backend of ['wasm', 'webgpu'] as BackendName[]) {
  describe(`${backend} agrees with cpu`, () => {
    let unavailable: string | undefined;
    beforeAll(async () => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (backend === 'webgpu' && err instanceof BackendUnavailableError) unavailable = err.message;
        else throw err;
      }
    });

    for (const c of CASES) {
      it(c.name, async (ctx) => {
        if (unavailable !== undefined) ctx.skip(`webgpu adapter cannot be created here: ${unavailable}`);
        await useBackend(backend);
        const got = await evaluate(c);
        const ref = reference.get(c.name)!;
        expect(relError(got.out, ref.out), 'forward').toBeLessThan(TOL);
        expect([...got.grads.keys()]).toEqual([...ref.grads.keys()]);
        const scale = Math.max(...[...ref.grads.values()].map((g) => Math.max(...g.map(Math.abs))));
        for (const [name, g] of got.grads) {
          if (name.endsWith('to_k.bias')) {
            // Adding a bias to every key shifts each query's scores by a constant, which softmax
            // ignores: this gradient is zero, and both sides hold only rounding noise.
            expect(Math.max(...g.map(Math.abs)), `grad ${name}`).toBeLessThan(1e-5 * scale);
            continue;
          }
          expect(relError(g, ref.grads.get(name)!), `grad ${name}`).toBeLessThan(TOL);
        }
      });
    }
  });
}
