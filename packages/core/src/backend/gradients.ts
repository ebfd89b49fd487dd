import * as tf from '@tensorflow/tfjs-core';
import { isNode } from './environment.js';
import { GradientRegistrationError } from './errors.js';
import { registerGradientFixes } from './gradient-fixes.js';
import { loadNodeSupport } from './node-support.js';

let registering: Promise<void> | undefined;

/**
 * Make `tf.grads` / `tf.variableGrads` work: register tfjs-core's gradient functions (the
 * `@tensorflow/tfjs-core` package registers none by itself) and YONOS's corrections to them.
 * In browsers and bundlers this imports `@tensorflow/tfjs-core/dist/register_all_gradients`;
 * in plain Node it loads the same files with `registerAllGradientsInNode` (`@yonos/core/node`). Idempotent;
 * {@link useBackend} calls it.
 * @throws GradientRegistrationError when the gradient files cannot be loaded here.
 */
export function registerGradients(): Promise<void> {
  registering ??= (async () => {
    if (tf.getGradient('Conv2D') === undefined) {
      try {
        if (isNode()) {
          await (await loadNodeSupport()).registerAllGradients();
        } else {
          await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
        }
      } catch (err) {
        throw new GradientRegistrationError(
          "tfjs-core's gradients could not be registered, so training would fail. Import " +
            "'@tensorflow/tfjs-core/dist/register_all_gradients' yourself (through a bundler) before " +
            `calling useBackend, or install @tensorflow/tfjs which does. Cause: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    registerGradientFixes();
  })().catch((err: unknown) => {
    registering = undefined;
    throw err;
  });
  return registering;
}
