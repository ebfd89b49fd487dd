import { BackendUnavailableError, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TestContext } from 'vitest';
import { loadCase, relativeError } from './fixtures.js';
import type { LoadedCase, UnetCase } from './fixtures.js';
import { forwardNoLeak, modelFor, trainStepCheck } from './models.js';

/** Relative error (max abs error / max abs expected) the fixtures must be reproduced to. */
export const PARITY_TOL = 1e-4;

/** What {@link backendSuite} runs. */
export interface BackendSuiteOptions {
  /** Cases whose forward pass is compared with diffusers. */
  readonly parity: readonly UnetCase[];
  /** Cases given one training step, and the crop size they train on. */
  readonly train: readonly UnetCase[];
  readonly trainSize: number;
  /** Skip (with the reason) instead of failing when the backend cannot be created here. */
  readonly skipIfUnavailable?: boolean;
}

/**
 * Parity with diffusers and one training step on one backend. Every forward pass is
 * leak-checked; errors are logged so reports can quote them.
 */
export function backendSuite(backend: BackendName, options: BackendSuiteOptions): void {
  describe(`U-Nets on ${backend}`, () => {
    let skipReason: string | null = null;
    const cases = new Map<UnetCase, LoadedCase>();

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
      for (const name of new Set([...options.parity, ...options.train])) cases.set(name, await loadCase(name));
    });

    afterAll(() => {
      for (const c of cases.values()) c.dispose();
    });

    const skipIfNeeded = (ctx: TestContext): void => {
      if (skipReason !== null) ctx.skip(skipReason);
    };

    test.for([...options.parity])(`%s reproduces diffusers to ${PARITY_TOL} relative error`, async (name, ctx) => {
      skipIfNeeded(ctx);
      const c = cases.get(name)!;
      const model = modelFor(name, c);
      try {
        const out = forwardNoLeak(model, c.sample, c.timestep, c.context);
        expect(out.shape).toEqual(c.expected.shape);
        const err = await relativeError(out, c.expected);
        out.dispose();
        console.log(`[parity] ${backend} ${name}: relative error ${err.toExponential(3)} (tolerance ${PARITY_TOL})`);
        expect(err).toBeLessThanOrEqual(PARITY_TOL);
      } finally {
        model.dispose();
      }
    });

    test.for([...options.train])('%s: one training step changes every parameter and lowers the loss', async (name, ctx) => {
      skipIfNeeded(ctx);
      const c = cases.get(name)!;
      const model = modelFor(name, c);
      try {
        const r = await trainStepCheck(model, c, options.trainSize);
        console.log(
          `[train] ${backend} ${name}: loss ${r.lossBefore.toFixed(5)} -> ${r.lossAfter.toFixed(5)}, ` +
            `${r.trainable - r.unchanged.length}/${r.trainable} parameters changed`,
        );
        expect(r.unchanged).toEqual([]);
        expect(r.trainable).toBe(model.parameters().length);
        expect(r.lossAfter).toBeLessThan(r.lossBefore);
      } finally {
        model.dispose();
      }
    });
  });
}
