// One training step of AutoencoderTiny on cpu and wasm: every parameter gets a gradient and moves.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@yonos/core';
import type { BackendName } from '@yonos/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderTiny } from '../src/index.js';
import type { AutoencoderTinyInitScheme } from '../src/index.js';

const CONFIG = {
  encoder_block_out_channels: [8, 8, 8],
  decoder_block_out_channels: [8, 8, 8],
  num_encoder_blocks: [1, 1, 1],
  num_decoder_blocks: [1, 1, 1],
  latent_channels: 4,
};

async function sums(tensors: tf.Tensor[]): Promise<Float32Array> {
  const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.abs(t)))));
  const out = (await stacked.data()) as Float32Array;
  stacked.dispose();
  return out;
}

/** Runs `steps` Adam updates of an L1 reconstruction loss; returns the losses, what moved and what had a gradient at step 1. */
async function train(scheme: AutoencoderTinyInitScheme, steps: number, lr: number): Promise<{ losses: number[]; unchanged: string[]; zeroGrad: string[]; leaked: number }> {
  const vae = AutoencoderTiny.fromConfig(CONFIG).initialize(createRng(21), { scheme });
  const x = tf.tidy(() => tf.sub(tf.mul(tf.image.resizeBilinear(createRng(2).uniform([1, 4, 4, 3]) as tf.Tensor4D, [16, 16], false, true), 2), 1) as tf.Tensor4D);
  const named = vae.namedParameters();
  const vars = vae.trainableVariables();
  const snapshot = named.map(([, p]) => tf.clone(p.value));
  const before = tf.memory().numTensors;
  const optimizer = tf.train.adam(lr);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const posterior = vae.encode(x);
      const rec = vae.decode(posterior.sample(createRng(0)));
      const l = tf.add(tf.mean(tf.abs(tf.sub(rec, x))), tf.mean(posterior.kl()));
      posterior.dispose();
      return l as tf.Scalar;
    });
  const losses: number[] = [];
  let zeroGrad: string[] = [];
  for (let step = 0; step < steps; step++) {
    const { value, grads } = tf.variableGrads(loss, vars);
    if (step === 0) {
      const g = await sums(vars.map((v) => grads[v.name]!));
      zeroGrad = named.filter((_, i) => !(g[i]! > 0 && Number.isFinite(g[i]!))).map(([n]) => n);
    }
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    losses.push((await value.data())[0]!);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const last = loss();
  losses.push((await last.data())[0]!);
  last.dispose();
  optimizer.dispose();
  const leaked = tf.memory().numTensors - before;
  const diffs = await sums(named.map(([, p], i) => tf.sub(p.value, snapshot[i]!)));
  const unchanged = named.filter((_, i) => !(diffs[i]! > 0)).map(([n]) => n);
  tf.dispose([x, ...snapshot]);
  vae.dispose();
  return { losses, unchanged, zeroGrad, leaked };
}

describe.each(['cpu', 'wasm'] as BackendName[])('AutoencoderTiny training on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('default init: one step gives every parameter a gradient, moves it, lowers the loss, leaks nothing', async () => {
    expect(tf.getBackend()).toBe(backend);
    const r = await train('default', 1, 1e-3);
    console.log(`[${backend}] default init: L1 ${r.losses[0]!.toFixed(4)} -> ${r.losses[1]!.toFixed(4)}`);
    expect(r.zeroGrad).toEqual([]);
    expect(r.unchanged).toEqual([]);
    expect(r.leaked).toBe(0);
    expect(r.losses[1]!).toBeLessThan(r.losses[0]!);
  });

  it('pooling init: the zeroed convs get gradients at once, everything moves within two steps', async () => {
    const r = await train('pooling', 2, 1e-4);
    console.log(`[${backend}] pooling init: L1 ${r.losses.map((l) => l.toFixed(4)).join(' -> ')}; zero gradient at step 1: ${r.zeroGrad.length}`);
    // Only the convs feeding a zeroed conv (the blocks' first two, and nothing else) start without a gradient.
    expect(r.zeroGrad.every((n) => /\.conv\.[02]\./.test(n))).toBe(true);
    expect(r.zeroGrad.some((n) => /\.conv\.4\./.test(n))).toBe(false);
    expect(r.unchanged).toEqual([]);
    expect(r.leaked).toBe(0);
    expect(r.losses[2]!).toBeLessThan(r.losses[0]!);
  });
});
