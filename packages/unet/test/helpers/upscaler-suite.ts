import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import { UNet2DConditionModel } from '../../src/index.js';
import { relativeError } from './fixtures.js';
import { UPSCALER_DIR, UPSCALER_PARITY_TOL, loadUpscalerUnetIo } from './upscaler-fixture.js';
import type { UpscalerUnetIo } from './upscaler-fixture.js';

/**
 * The sd-x4-upscaler-tiny U-Net, loaded from the pipeline folder's `unet/` subfolder with
 * `fromPretrained`, against diffusers' output for per-item timesteps and noise-level class
 * labels, on one backend. Leak-checked; the error is logged so reports can quote it. `control`
 * (default on) also runs the swapped-labels control, which slow backends can leave to the others.
 */
export function upscalerUnetSuite(
  backend: BackendName,
  options: { readonly skipIfUnavailable?: boolean; readonly control?: boolean } = {},
): void {
  describe(`sd-x4-upscaler-tiny U-Net on ${backend}`, () => {
    let skipReason: string | null = null;
    let unet: UNet2DConditionModel | undefined;
    let io: UpscalerUnetIo | undefined;

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
      unet = await UNet2DConditionModel.fromPretrained(UPSCALER_DIR, { subfolder: 'unet' });
      io = await loadUpscalerUnetIo();
    });

    afterAll(() => {
      unet?.dispose();
      io?.dispose();
    });

    const setup = (ctx: TestContext): { unet: UNet2DConditionModel; io: UpscalerUnetIo } => {
      if (skipReason !== null) ctx.skip(skipReason);
      expect(tf.getBackend()).toBe(backend);
      return { unet: unet!, io: io! };
    };

    test(`reproduces diffusers with class labels [20, 350] to ${UPSCALER_PARITY_TOL} relative error`, async (ctx) => {
      const { unet, io } = setup(ctx);
      expect(unet.classConditioning).toEqual({ kind: 'index', numClasses: 1000 });
      const before = tf.memory().numTensors;
      const out = unet.forward(io.sample, io.timestep, io.context, { classLabels: io.classLabels });
      expect(tf.memory().numTensors - before, 'forward must leave only its output').toBe(1);
      expect(out.shape).toEqual(io.expected.shape);
      const err = await relativeError(out, io.expected);
      out.dispose();
      console.log(`[parity] ${backend} sd-x4-upscaler-tiny unet: relative error ${err.toExponential(3)} (tolerance ${UPSCALER_PARITY_TOL})`);
      expect(err).toBeLessThanOrEqual(UPSCALER_PARITY_TOL);
    });

    // Control: the labels matter. Swapping the two items' labels must move the output far past the tolerance.
    // Declared only where it runs, so a slow backend leaves it to the others instead of reporting a skip.
    if (options.control === false) return;
    test('the class labels reach the output (swapped labels do not reproduce diffusers)', async (ctx) => {
      const { unet, io } = setup(ctx);
      const swapped = tf.reverse(io.classLabels);
      const out = unet.forward(io.sample, io.timestep, io.context, { classLabels: swapped });
      const err = await relativeError(out, io.expected);
      tf.dispose([out, swapped]);
      console.log(`[control] ${backend} swapped labels: relative error ${err.toExponential(3)}`);
      expect(err).toBeGreaterThan(100 * UPSCALER_PARITY_TOL);
    });
  });
}
