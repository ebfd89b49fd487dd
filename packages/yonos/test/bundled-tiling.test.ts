// The bundled model's memory plan: its estimates are its own (AutoencoderTiny, UNet2DModel),
// small images run untiled at the default budget, and an untiled default run is exactly the
// `tile: false` run.
import { trackPeakBytes } from '@yonos/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YonosPipeline, useBackend } from '../src/index.js';

const MIB = 2 ** 20;
const pipes = new Map<number, YonosPipeline>();

beforeAll(async () => {
  await useBackend('wasm');
  for (const scale of [4, 8]) pipes.set(scale, await YonosPipeline.fromPretrained(undefined, { scale }));
});

afterAll(() => {
  for (const pipe of pipes.values()) pipe.dispose();
});

const pipe = (scale: number): YonosPipeline => pipes.get(scale)!;

/** The peak tensor memory of `fn`, its result disposed. */
function peakOf(fn: () => tf.Tensor | { dispose(): void }): number {
  const { result, peak } = trackPeakBytes(fn);
  result.dispose();
  return peak;
}

/** Max |a - b|. */
async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

describe('the bundled model under the default memory budget (1 GiB)', () => {
  it('estimates its own memory: the bounds hold within 1 % for encode, decode and the U-Net', () => {
    const { vae, unet } = pipe(4);
    const image = tf.randomUniform([1, 96, 128, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const estimate = vae.estimateMemory!([1, 96, 128]);
    const encode = peakOf(() => vae.encode(image));
    const posterior = vae.encode(image);
    const decode = peakOf(() => vae.decode(posterior.mean));
    const sample = tf.randomNormal([1, 48, 64, 16]) as tf.Tensor4D;
    const forward = peakOf(() => unet.forward(sample, 999));
    const own = unet.estimateMemory!([1, 48, 64]).forward;
    for (const [e, m] of [
      [estimate.encode, encode],
      [estimate.decode, decode],
      [own, forward],
    ] as const) {
      expect(e).toBeGreaterThanOrEqual(m);
      expect(e).toBeLessThanOrEqual(1.01 * m);
    }
    tf.dispose([image, sample]);
    posterior.dispose();
  });

  it('runs 64x64 untiled at x4 and x8 (it used to take 4 and 9 VAE tiles), within the budget', () => {
    for (const scale of [4, 8]) {
      const t = pipe(scale).tiling(64, 64);
      expect(t).toMatchObject({ vaeTiles: 1, latentTiles: 1 });
      expect(t.estimatedPeakBytes).toBeLessThan(512 * MIB);
    }
  });

  it('runs 256x256 -> 1024x1024 untiled where the backend keeps no buffers (cpu: 940 MiB); on wasm, whose XNNPACK buffers and heap would make it 1.5 GiB, in 2 x 2 tiles', async () => {
    await useBackend('cpu');
    const cpu = pipe(4).tiling(256, 256);
    await useBackend('wasm');
    const wasm = pipe(4).tiling(256, 256);
    const untiled = pipe(4).tiling(256, 256, { tile: false });
    console.info(
      `256x256 x4: cpu ${cpu.vaeTiles} VAE / ${cpu.latentTiles} U-Net tiles, ${(cpu.estimatedPeakBytes / MIB).toFixed(0)} MiB; ` +
        `wasm ${wasm.vaeTiles} / ${wasm.latentTiles} tiles (${wasm.vaeTileSize} px, ${wasm.latentTileSize} latent px), ${(wasm.estimatedPeakBytes / MIB).toFixed(0)} MiB ` +
        `(untiled ${(untiled.estimatedPeakBytes / MIB).toFixed(0)} MiB)`,
    );
    expect(cpu).toMatchObject({ vaeTiles: 1, latentTiles: 1 });
    expect(cpu.estimatedPeakBytes).toBeLessThanOrEqual(1024 * MIB);
    expect(untiled.estimatedPeakBytes).toBeGreaterThan(1024 * MIB);
    expect(wasm.estimatedPeakBytes).toBeLessThanOrEqual(1024 * MIB);
    expect(wasm.vaeTiles).toBeLessThanOrEqual(4);
    expect(wasm.latentTiles).toBeLessThanOrEqual(4);
  });

  for (const [scale, side] of [
    [4, 64],
    [8, 64],
  ] as const) {
    it(`gives exactly the tile: false output where it runs untiled (x${scale}, ${side}x${side}), without leaks`, async () => {
      const p = pipe(scale);
      expect(p.tiling(side, side)).toMatchObject({ vaeTiles: 1, latentTiles: 1 });
      const lr = tf.randomUniform([1, side, side, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const byBudget = await p.run(lr, { seed: 3 });
      const untiled = await p.run(lr, { seed: 3, tile: false });
      expect(byBudget.shape).toEqual([1, side * scale, side * scale, 3]);
      expect(await maxDiff(byBudget, untiled)).toBe(0);
      tf.dispose([byBudget, untiled]);
      expect(tf.memory().numTensors).toBe(before);
      lr.dispose();
    });
  }
});
