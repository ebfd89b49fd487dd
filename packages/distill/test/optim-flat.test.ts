// The multi-tensor optimizer path (flat AdamW chunks, flat EMA, norms of equal-size gradients
// reduced together, clipping inside the fused update) against the per-variable path it
// replaced (helpers/per-variable-optim.ts): identical bytes on cpu and wasm, with controls that
// show the comparison catches a changed operation order.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import type { BackendName, Rng } from '@yonos/core';
import { AdamW, Ema, GradientAccumulator, TrainingArgumentError, globalGradNorm, namedVariables, runTrainStep } from '../src/index.js';
import type { TrainTask } from '../src/index.js';
import { PerVariableAdamW, PerVariableEma, perVariableGlobalGradNorm, perVariableStep } from './helpers/per-variable-optim.js';
import type { ReferenceVariant } from './helpers/per-variable-optim.js';
import { bits, bitDifferences, weightsOf } from './helpers/tensors.js';
import { TinyConvNet } from './helpers/tiny-model.js';

/** Host float32 copies of tensors by key (state maps, variables). */
async function host(tensors: Iterable<[string, tf.Tensor]>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of tensors) out.set(k, Float32Array.from(await t.data()));
  return out;
}

/** Entries of two state maps that differ: missing keys, dtypes, shapes, or elements by bits. Disposes both. */
async function stateDifferences(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): Promise<number> {
  try {
    let diff = 0;
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const [x, y] = [a.get(key), b.get(key)];
      if (x === undefined || y === undefined || x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) {
        diff++;
        continue;
      }
      if (x.dtype === 'float32') diff += bitDifferences(new Map([[key, (await x.data()) as Float32Array]]), new Map([[key, (await y.data()) as Float32Array]]));
      else diff += JSON.stringify(Array.from(await x.data())) === JSON.stringify(Array.from(await y.data())) ? 0 : 1;
    }
    return diff;
  } finally {
    tf.dispose([...a.values(), ...b.values()]);
  }
}

const BACKENDS: BackendName[] = ['cpu', 'wasm', 'webgpu'];

afterAll(async () => {
  await useBackend('cpu');
});

for (const backend of BACKENDS) {
  describe(`flat optimizer path on ${backend}`, () => {
    let unavailable: string | undefined;
    beforeAll(async () => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        unavailable = `${backend} cannot be initialized here: ${err.message}`;
      }
    });
    /** Skips the test where the backend is missing (webgpu without an adapter). */
    const needBackend = (ctx: { skip: (note?: string) => void }): void => {
      if (unavailable !== undefined) ctx.skip(unavailable);
    };

    test.for([
      { accumulation: 2, clipNorm: 0.05, chunkElements: undefined },
      { accumulation: 1, clipNorm: undefined, chunkElements: 100 },
      { accumulation: 1, clipNorm: 0.05, chunkElements: 230 },
    ])(
      'training steps (accumulation $accumulation, clipNorm $clipNorm, chunks of $chunkElements) == the per-variable path, bit for bit; leak-free',
      async ({ accumulation, clipNorm, chunkElements }, ctx) => {
        needBackend(ctx);
        const before = tf.memory().numTensors;
        const flatNet = new TinyConvNet({ dropout: 0 }).initialize(createRng(1));
        const refNet = new TinyConvNet({ dropout: 0 }).initialize(createRng(1));
        // A frozen parameter: outside the optimizer, copied (not averaged) by the EMA until step 3.
        for (const net of [flatNet, refNet]) net.conv_out.bias!.trainable = false;
        const hyper = { lr: 0.05, betas: [0.9, 0.99] as [number, number], weightDecay: 0.1, noWeightDecay: (n: string) => n.endsWith('bias') };
        const optimizer = new AdamW(namedVariables(flatNet), { ...hyper, ...(chunkElements !== undefined ? { chunkElements } : {}) });
        const ema = new Ema(flatNet, { decay: 0.9 }, chunkElements !== undefined ? { chunkElements } : {});
        const accumulator = new GradientAccumulator(optimizer.variables);
        const refVars = namedVariables(refNet);
        const reference = new PerVariableAdamW(refVars, hyper);
        const refEma = new PerVariableEma(refNet, { decay: 0.9 });

        const data = (index: number): { x: tf.Tensor4D; y: tf.Tensor4D } => {
          const r = createRng(50 + index);
          return { x: r.normal([2, 6, 6, 3]) as tf.Tensor4D, y: r.normal([2, 6, 6, 3], 0, 2) as tf.Tensor4D };
        };
        const mse = (net: TinyConvNet, b: { x: tf.Tensor4D; y: tf.Tensor4D }) => tf.mean(tf.square(tf.sub(net.forward(b.x), b.y))) as tf.Scalar;
        const task: TrainTask<{ x: tf.Tensor4D; y: tf.Tensor4D }> = { batch: (ctx) => data(ctx.microBatchIndex), loss: (b) => mse(flatNet, b) };
        const lrs = [0.05, 0.03, 0.02, 0.01, 0.004, 0.002];
        const norms: number[] = [];
        for (let step = 0; step < lrs.length; step++) {
          if (step === 3) for (const net of [flatNet, refNet]) net.conv_out.bias!.trainable = true;
          const got = await runTrainStep({
            task,
            optimizer,
            accumulator,
            step,
            rng: createRng(9),
            lr: lrs[step]!,
            gradAccumulation: accumulation,
            ...(clipNorm !== undefined ? { clipNorm } : {}),
            ema,
          });
          const batches = Array.from({ length: accumulation }, (_, micro) => data(step * accumulation + micro));
          const want = await perVariableStep(
            { variables: refVars, optimizer: reference, ema: refEma, module: refNet, lr: lrs[step]!, clipNorm },
            batches.map((b) => () => mse(refNet, b)),
          );
          tf.dispose(batches);
          expect(got.loss).toBe(want.loss);
          expect(got.gradNorm).toBe(want.gradNorm);
          norms.push(got.gradNorm);
          expect(bitDifferences(await weightsOf(flatNet), await weightsOf(refNet))).toBe(0);
          expect(await stateDifferences(optimizer.exportState(), reference.exportState())).toBe(0);
          expect(await stateDifferences(ema.exportState(), refEma.exportState())).toBe(0);
        }
        // Clipping was active (factor < 1) in the clipped runs.
        if (clipNorm !== undefined) expect(norms.filter((n) => n > clipNorm).length).toBeGreaterThan(0);
        expect(optimizer.stepCount('conv_in.weight')).toBe(lrs.length);
        for (const x of [optimizer, ema, reference, refEma, flatNet, refNet]) x.dispose();
        expect(tf.memory().numTensors).toBe(before);
      },
    );

    test.for([1, 300, undefined])(
      'AdamW on mixed shapes with skipped gradients, uneven step counts, gradScale and per-variable state imported mid-run (chunks of %s) == per-variable; leak-free',
      async (chunkElements, ctx) => {
        needBackend(ctx);
        const shapes: Record<string, number[]> = { a: [3, 3, 4, 8], b: [8], c: [], d: [1], e: [3, 3, 8, 4], f: [2, 0], g: [16, 18], h: [5] };
        const make = (): Map<string, tf.Variable> => {
          const rng = createRng(3);
          return new Map(Object.entries(shapes).map(([n, s]) => [n, tf.tidy(() => tf.variable(rng.normal(s)))]));
        };
        const before = tf.memory().numTensors;
        const flatVars = make();
        const refVars = make();
        const hyper = { lr: 0.02, betas: [0.8, 0.95] as [number, number], eps: 1e-6, weightDecay: 0.3, noWeightDecay: (n: string) => n === 'b' || n === 'h' };
        const flat = new AdamW(flatVars, { ...hyper, ...(chunkElements !== undefined ? { chunkElements } : {}) });
        const reference = new PerVariableAdamW(refVars, hyper);
        const skipped: Record<number, string[]> = { 2: ['b', 'e'], 4: ['a'], 5: ['a', 'b', 'd', 'e', 'f', 'g', 'h'] };
        for (let k = 0; k < 9; k++) {
          const rng = createRng(100 + k);
          // Gradients from large to tiny, so eps and the bias corrections matter.
          const grads = new Map(
            Object.entries(shapes)
              .filter(([n]) => !(skipped[k] ?? []).includes(n))
              .map(([n, s]) => [n, rng.normal(s, 0, 10 ** -(k % 5))] as [string, tf.Tensor]),
          );
          const scale = k % 3 === 1 ? tf.scalar(0.37) : undefined;
          flat.lr = reference.lr = 0.02 / (1 + k);
          // (No per-step tensor count: a change of the layout changes the number of state chunks.)
          flat.step(grads, scale !== undefined ? { gradScale: scale } : {});
          reference.step(grads, scale);
          tf.dispose([...grads.values(), ...(scale !== undefined ? [scale] : [])]);
          if (k === 3) {
            // State written by the per-variable optimizer (the checkpoint format) loads into the flat one.
            const state = reference.exportState();
            await flat.importState(state);
            tf.dispose([...state.values()]);
          }
          expect(bitDifferences(await host(flatVars), await host(refVars))).toBe(0);
          expect(await stateDifferences(flat.exportState(), reference.exportState())).toBe(0);
        }
        expect(Object.keys(shapes).map((n) => flat.stepCount(n))).toEqual(Object.keys(shapes).map((n) => reference.stepCount(n)));
        expect(flat.stepCount('c')).toBe(9);
        expect(flat.stepCount('a')).toBe(7);
        flat.dispose();
        reference.dispose();
        tf.dispose([...flatVars.values(), ...refVars.values()]);
        expect(tf.memory().numTensors).toBe(before);
      },
    );

    test('controls: decay after the step, the bias corrections moved (inside the sqrt, onto m) change the bytes', async (ctx) => {
      needBackend(ctx);
      const before = tf.memory().numTensors;
      const run = async (variant: ReferenceVariant | 'flat'): Promise<Map<string, Float32Array>> => {
        const rng = createRng(4);
        const vars = new Map([['w', tf.tidy(() => tf.variable(rng.normal([64, 32])))]]);
        const hyper = { lr: 0.01, betas: [0.9, 0.999] as [number, number], weightDecay: 0.5 };
        const opt = variant === 'flat' ? new AdamW(vars, hyper) : new PerVariableAdamW(vars, hyper, variant);
        for (let k = 0; k < 4; k++) {
          const g = new Map([['w', createRng(20 + k).normal([64, 32])]]);
          opt.step(g);
          tf.dispose([...g.values()]);
        }
        const out = await host(vars);
        opt.dispose();
        tf.dispose([...vars.values()]);
        return out;
      };
      const flat = await run('flat');
      expect(bitDifferences(flat, await run('exact'))).toBe(0);
      const broken: Record<string, number> = {};
      for (const variant of ['decay-after', 'bias-inside-sqrt', 'bias-on-m'] as const) broken[variant] = bitDifferences(flat, await run(variant));
      console.info(`${backend}: elements (of 2048) that differ from the flat AdamW: ${JSON.stringify(broken)}`);
      for (const n of Object.values(broken)) expect(n).toBeGreaterThan(0);
      expect(tf.memory().numTensors).toBe(before);
    });

    test('global norm: equal-size gradients reduced as matrix rows == one by one, bit for bit; a naive flat norm differs (control)', async (ctx) => {
      needBackend(ctx);
      const before = tf.memory().numTensors;
      let naiveDiffers = 0;
      for (let trial = 0; trial < 6; trial++) {
        const rng: Rng = createRng(300 + trial);
        const sizes = [[317, 331], [317, 331], [5], [5], [5], [], [1], [65_536], [317, 331]];
        // An empty gradient (norm 0); the per-variable reference cannot sum one on webgpu.
        if (backend !== 'webgpu') sizes.push([3, 0]);
        const grads = new Map<string, tf.Tensor | null>(sizes.map((s, i) => [`g${i}`, rng.normal(s, 0, 1 + trial)]));
        grads.set('none', null);
        const norm = globalGradNorm(grads);
        const want = perVariableGlobalGradNorm(grads);
        const naive = tf.tidy(() => {
          const all = [...grads.values()].filter((g): g is tf.Tensor => g != null).map((g) => tf.reshape(tf.square(g), [-1]));
          return tf.sqrt(tf.sum(tf.concat(all)));
        });
        const [n, w, x] = [await norm.data(), await want.data(), await naive.data()];
        expect(bits(n as Float32Array)[0]).toBe(bits(w as Float32Array)[0]);
        if (bits(x as Float32Array)[0] !== bits(w as Float32Array)[0]) naiveDiffers++;
        tf.dispose([norm, want, naive, ...[...grads.values()].filter((g): g is tf.Tensor => g != null)]);
      }
      expect(naiveDiffers).toBeGreaterThan(0);
      const empty = globalGradNorm(new Map([['a', null]]));
      expect((await empty.data())[0]).toBe(0);
      empty.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    test('typed errors: a non-scalar gradScale, a bad chunk size', (ctx) => {
      needBackend(ctx);
      const vars = new Map([['w', tf.variable(tf.zeros([2]))]]);
      const opt = new AdamW(vars);
      const g = new Map([['w', tf.ones([2])]]);
      const s = tf.ones([2]) as unknown as tf.Scalar;
      expect(() => opt.step(g, { gradScale: s })).toThrow(TrainingArgumentError);
      expect(opt.stepCount('w')).toBe(0);
      expect(() => new AdamW(vars, { chunkElements: 0 })).toThrow(/chunkElements/);
      const net = new TinyConvNet({ dropout: 0 }).initialize(createRng(1));
      expect(() => new Ema(net, {}, { chunkElements: 1.5 })).toThrow(TrainingArgumentError);
      tf.dispose([s, ...g.values(), ...vars.values()]);
      net.dispose();
      opt.dispose();
    });
  });
}
