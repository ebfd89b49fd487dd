// Runs in its own Node process (the wasm thread count is fixed per process): starts wasm with
// the threads given as argv[2] ('default' for core's default), computes forward and backward
// passes through the kernels YONOS trains with (convs and their registered gradients,
// GroupNorm, matMul, batched matMul, slices), and prints one JSON line: the thread count, a
// SHA-256 of every result's bytes, and what a second useBackend asking another count threw.
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '../../src/index.js';
import { ResnetBlock2D } from '../../src/nn/index.js';

const arg = process.argv[2] ?? 'default';
const info = await useBackend('wasm', arg === 'default' ? {} : { wasmThreads: Number(arg) });
const threads = info.wasm?.threads ?? -1;
const rng = createRng(7);
const block = new ResnetBlock2D({ in_channels: 32, out_channels: 64, temb_channels: null, groups: 8 }).initialize(rng.fork('block'));
const x = rng.fork('x').normal([2, 24, 24, 32]) as tf.Tensor4D;
const a = rng.fork('a').normal([3, 96, 160]) as tf.Tensor3D;
const b = rng.fork('b').normal([3, 160, 80]) as tf.Tensor3D;
const hash = createHash('sha256');
const results = tf.tidy(() => {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(block.forward(x))) as tf.Scalar, block.trainableVariables());
  const inputGrad = tf.grad((input: tf.Tensor) => tf.sum(block.forward(input as tf.Tensor4D)))(x);
  const mm = tf.matMul(a, b);
  const sliced = tf.slice(mm, [1, 5, 7], [2, 40, 50]);
  return [value, inputGrad, mm, sliced, ...Object.keys(grads).sort().map((k) => grads[k]!)];
});
for (const t of results) hash.update(Buffer.from((await t.data()).buffer));
tf.dispose(results);
let secondCall = 'accepted';
try {
  await useBackend('wasm', { wasmThreads: threads === 1 ? 2 : 1 });
} catch (err) {
  secondCall = (err as Error).name;
}
process.stdout.write(`${JSON.stringify({ threads, digest: hash.digest('hex'), secondCall })}\n`);
// No process.exit: the test also checks that the pool's workers let Node exit on its own.
