/**
 * Child process of pipeline-memory.test.ts: one pipeline run in a fresh process, so that its
 * resident memory (RSS, which the wasm heap never gives back) is this run's alone.
 * Arguments: side of the square LR input, memory budget in MiB. Prints one JSON line.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { trackPeakBytesAsync, useBackend } from '@yonos/core';
import { UNet2DConditionModel } from '@yonos/unet';
import { AutoencoderKL } from '@yonos/vae';
import { YonosPipeline } from '../src/index.js';
import { DIFFUSERS_FIXTURES } from './helpers.js';

const [side = '128', budget = '48'] = process.argv.slice(2);
await useBackend('wasm');
const pipe = new YonosPipeline({
  vae: await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny')),
  unet: await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny')),
});
const weights = tf.memory().numBytes;
const n = Number(side);
const lr = tf.randomUniform([1, n, n, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
const tile = { memoryBudgetMB: Number(budget) };
const plan = pipe.tiling(n, n, { tile });

const rssBefore = process.memoryUsage().rss;
const { result: out, peak } = await trackPeakBytesAsync(() => pipe.run(lr, { tile }));
const rssPeak = process.resourceUsage().maxRSS * 1024;
tf.dispose([lr, out]);
pipe.dispose();
console.log(
  JSON.stringify({
    weights,
    budget: plan.memoryBudgetBytes,
    estimate: plan.estimatedPeakBytes,
    vaeTiles: plan.vaeTiles,
    latentTiles: plan.latentTiles,
    tensorPeak: peak,
    rssGrowth: rssPeak - rssBefore,
  }),
);
