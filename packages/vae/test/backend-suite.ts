// Parity with diffusers and one training step, run on one backend per test file.
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { AutoencoderKL } from '../src/index.js';
import { PARITY_TOL, disposeIo, loadTinyIo, loadTinyWithStateDict, relError } from './helpers.js';
import type { TinyIo } from './helpers.js';

export interface BackendSuiteOptions {
  /** Side of the square crop the training step uses (small on slow backends). */
  readonly trainSize: number;
  /** Skip (with the reason) instead of failing when the backend cannot be created here. */
  readonly skipIfUnavailable?: boolean;
}

/**
 * `sum(|t|)` of each tensor (or `sum(|a - b|)` of each pair), read back asynchronously
 * (webgpu in Node has no synchronous readback) in one stacked transfer.
 */
async function sumsOfAbs(items: ReadonlyArray<tf.Tensor | readonly [tf.Tensor, tf.Tensor]>): Promise<Float32Array> {
  const stacked = tf.tidy(() =>
    tf.stack(items.map((item) => tf.sum(tf.abs(item instanceof tf.Tensor ? item : tf.sub(item[0], item[1]))))),
  );
  try {
    return (await stacked.data()) as Float32Array;
  } finally {
    stacked.dispose();
  }
}

export function backendSuite(backend: BackendName, options: BackendSuiteOptions): void {
  describe(`AutoencoderKL on ${backend}`, () => {
    let skipReason: string | null = null;
    let vae: AutoencoderKL | undefined;
    let io: TinyIo | undefined;

    beforeAll(async () => {
      try {
        await useBackend(backend);
      } catch (err) {
        if (options.skipIfUnavailable === true && err instanceof BackendUnavailableError) {
          skipReason = `${backend} cannot be created here: ${err.message}`;
          return;
        }
        throw err;
      }
      vae = await loadTinyWithStateDict();
      io = await loadTinyIo();
    });

    afterAll(() => {
      vae?.dispose();
      if (io !== undefined) disposeIo(io);
    });

    /** The model and fixture, or a skip when the backend is unavailable here. */
    function setup(ctx: TestContext): { vae: AutoencoderKL; io: TinyIo } {
      if (skipReason !== null) ctx.skip(skipReason);
      expect(tf.getBackend()).toBe(backend);
      if (vae === undefined || io === undefined) throw new Error('beforeAll did not load the fixture');
      return { vae, io };
    }

    it('encode reproduces diffusers mean and logvar (vae-tiny)', async (ctx) => {
      const { vae, io } = setup(ctx);
      const before = tf.memory().numTensors;
      const posterior = vae.encode(io.image);
      const errMean = await relError(posterior.mean, io.mean);
      const errLogvar = await relError(posterior.logvar, io.logvar);
      posterior.dispose();
      expect(tf.memory().numTensors).toBe(before);
      console.log(`[${backend}] encode: mean rel err ${errMean.toExponential(2)}, logvar rel err ${errLogvar.toExponential(2)} (tol ${PARITY_TOL})`);
      expect(errMean).toBeLessThanOrEqual(PARITY_TOL);
      expect(errLogvar).toBeLessThanOrEqual(PARITY_TOL);
    });

    it('decode reproduces diffusers decode(z) (vae-tiny)', async (ctx) => {
      const { vae, io } = setup(ctx);
      const before = tf.memory().numTensors;
      const decoded = vae.decode(io.z);
      const err = await relError(decoded, io.decoded);
      decoded.dispose();
      expect(tf.memory().numTensors).toBe(before);
      console.log(`[${backend}] decode: rel err ${err.toExponential(2)} (tol ${PARITY_TOL})`);
      expect(err).toBeLessThanOrEqual(PARITY_TOL);
    });

    it('a gradient step changes every trainable parameter and lowers the loss', async (ctx) => {
      const { vae: model, io } = setup(ctx);
      const s = options.trainSize;
      const x = tf.slice(io.image, [0, 0, 0, 0], [1, s, s, 3]);
      const target = tf.tidy(() => tf.mul(tf.reverse(x, 2), 0.5));
      // Fixed noise (a fresh generator per evaluation) so both losses see the same draw.
      const loss = (): tf.Scalar =>
        tf.tidy(() => {
          const posterior = model.encode(x);
          const recon = model.decode(posterior.sample(createRng(11)));
          const l = tf.add(tf.losses.meanSquaredError(target, recon), tf.mul(tf.mean(posterior.kl()), 1e-6));
          posterior.dispose();
          return l as tf.Scalar;
        });

      const named = model.namedParameters();
      const vars = model.trainableVariables();
      expect(vars.length).toBe(named.length);
      const snapshot = named.map(([, p]) => tf.clone(p.value));
      const before = tf.memory().numTensors;
      const optimizer = tf.train.adam(1e-4);

      const { value, grads } = tf.variableGrads(loss, vars);
      const gradNorms = await sumsOfAbs(vars.map((v) => grads[v.name]!));
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      const loss0 = (await value.data())[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      const l1 = loss();
      const loss1 = (await l1.data())[0]!;
      l1.dispose();

      const changes = await sumsOfAbs(named.map(([, p], i) => [p.value, snapshot[i]!] as const));
      const unchanged: string[] = [];
      const zeroGrad: string[] = [];
      for (let i = 0; i < named.length; i++) {
        const [name] = named[i]!;
        if (!(changes[i]! > 0)) unchanged.push(name);
        const g = gradNorms[i]!;
        if (!(g > 0 && Number.isFinite(g))) zeroGrad.push(name);
      }
      console.log(`[${backend}] train step on ${s}x${s}: loss ${loss0.toFixed(6)} -> ${loss1.toFixed(6)}, ${named.length} parameters`);
      // With the optimizer and its slots gone, the step must have left no tensor behind.
      optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, target, ...snapshot]);

      expect(zeroGrad).toEqual([]);
      expect(unchanged).toEqual([]);
      expect(loss1).toBeLessThan(loss0);
      // Restore the fixture weights for any later test in this file.
      model.dispose();
      vae = await loadTinyWithStateDict();
    });
  });
}
