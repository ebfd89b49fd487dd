// Parity with diffusers (AutoencoderKL and AutoencoderTiny) and one training step, run on one
// backend per test file.
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, createRng, useBackend } from '@yonos/core';
import { GroupNorm } from '@yonos/core/nn';
import type { BackendName } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import { AutoencoderTiny } from '../src/index.js';
import type { AutoencoderKL } from '../src/index.js';
import {
  PARITY_TOL,
  TAESD_PARITY_TOL,
  TAESD_SCALE_TOL,
  VAE_TINY_TAESD,
  disposeIo,
  disposeTaesdIo,
  loadTaesdIo,
  loadTinyIo,
  loadTinyWithStateDict,
  relError,
} from './helpers.js';
import type { TaesdIo, TinyIo } from './helpers.js';

export interface BackendSuiteOptions {
  /** Side of the square crop the training step uses (small on slow backends). */
  readonly trainSize: number;
  /** Skip (with the reason) instead of failing when the backend cannot be created here. */
  readonly skipIfUnavailable?: boolean;
  /** Also run the control: the KL VAE with a wrong GroupNorm eps must fail parity. */
  readonly control?: boolean;
}

/** The GroupNorm eps the control builds the KL VAE with (diffusers' is 1e-6). */
const CONTROL_EPS = 1e-5;

/** Encode (mean, logvar) and decode errors of the KL VAE on the vae-tiny fixture, leak-checked. */
async function klErrors(vae: AutoencoderKL, io: TinyIo): Promise<{ mean: number; logvar: number; decoded: number }> {
  const before = tf.memory().numTensors;
  const posterior = vae.encode(io.image);
  const decoded = vae.decode(io.z);
  try {
    return {
      mean: await relError(posterior.mean, io.mean),
      logvar: await relError(posterior.logvar, io.logvar),
      decoded: await relError(decoded, io.decoded),
    };
  } finally {
    posterior.dispose();
    decoded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
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
  describe(`AutoencoderKL and AutoencoderTiny on ${backend}`, () => {
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

    it('encode and decode reproduce diffusers (vae-tiny: mean, logvar, decode(z))', async (ctx) => {
      const { vae, io } = setup(ctx);
      const err = await klErrors(vae, io);
      console.log(
        `[${backend}] vae-tiny: mean rel err ${err.mean.toExponential(2)}, logvar ${err.logvar.toExponential(2)}, ` +
          `decode ${err.decoded.toExponential(2)} (tol ${PARITY_TOL})`,
      );
      expect(err.mean).toBeLessThanOrEqual(PARITY_TOL);
      expect(err.logvar).toBeLessThanOrEqual(PARITY_TOL);
      expect(err.decoded).toBeLessThanOrEqual(PARITY_TOL);
    });

    if (options.control === true) {
      it(`control: vae-tiny built with GroupNorm eps ${CONTROL_EPS} instead of 1e-6 fails parity`, async (ctx) => {
        const { io } = setup(ctx);
        const before = tf.memory().numTensors;
        const mutated = await loadTinyWithStateDict();
        let norms = 0;
        for (const [, m] of mutated.namedModules()) {
          if (m instanceof GroupNorm) {
            (m as { eps: number }).eps = CONTROL_EPS;
            norms++;
          }
        }
        expect(norms).toBeGreaterThan(0);
        const err = await klErrors(mutated, io);
        mutated.dispose();
        expect(tf.memory().numTensors).toBe(before);
        console.log(
          `[${backend}] control, GroupNorm eps ${CONTROL_EPS}: mean rel err ${err.mean.toExponential(2)}, ` +
            `logvar ${err.logvar.toExponential(2)}, decode ${err.decoded.toExponential(2)} (tol ${PARITY_TOL})`,
        );
        expect(err.mean).toBeGreaterThan(PARITY_TOL);
        expect(err.logvar).toBeGreaterThan(PARITY_TOL);
        expect(err.decoded).toBeGreaterThan(PARITY_TOL);
      });
    }

    it('AutoencoderTiny reproduces diffusers 0.25 (vae-tiny-taesd: encode, decode, scale and unscale latents)', async (ctx) => {
      setup(ctx);
      const taesd = await AutoencoderTiny.fromPretrained(VAE_TINY_TAESD);
      const t: TaesdIo = await loadTaesdIo();
      const before = tf.memory().numTensors;
      const posterior = taesd.encode(t.image);
      const decoded = taesd.decode(t.z);
      const scaled = taesd.scaleLatents(t.latents);
      const unscaled = taesd.unscaleLatents(t.scaledLatents);
      const err = {
        latents: await relError(posterior.mean, t.latents),
        decoded: await relError(decoded, t.decoded),
        scaled: await relError(scaled, t.scaledLatents),
        unscaled: await relError(unscaled, t.unscaledLatents),
      };
      posterior.dispose();
      tf.dispose([decoded, scaled, unscaled]);
      expect(tf.memory().numTensors).toBe(before);
      disposeTaesdIo(t);
      taesd.dispose();
      console.log(
        `[${backend}] vae-tiny-taesd: latents rel err ${err.latents.toExponential(2)}, decode ${err.decoded.toExponential(2)} ` +
          `(tol ${TAESD_PARITY_TOL}), scale ${err.scaled.toExponential(2)}, unscale ${err.unscaled.toExponential(2)} (tol ${TAESD_SCALE_TOL.toExponential(2)})`,
      );
      expect(err.latents).toBeLessThanOrEqual(TAESD_PARITY_TOL);
      expect(err.decoded).toBeLessThanOrEqual(TAESD_PARITY_TOL);
      expect(err.scaled).toBeLessThanOrEqual(TAESD_SCALE_TOL);
      expect(err.unscaled).toBeLessThanOrEqual(TAESD_SCALE_TOL);
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
