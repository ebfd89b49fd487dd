import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackPeakBytes, trackPeakBytesAsync, useBackend } from '@yonos/core';
import { UNet2DConditionModel } from '@yonos/unet';
import { AutoencoderKL } from '@yonos/vae';
import { YonosPipeline, estimateRunMemory } from '../src/index.js';
import { TiledLatentCodec } from '../src/pipeline/index.js';
import type { YonosTileOptions } from '../src/index.js';
import { DIFFUSERS_FIXTURES } from './helpers.js';
import { testImage } from './pipeline-standins.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MIB = 2 ** 20;
/** What a process holds beyond the budget and the weights after a run (see the "Large images" guide). */
const RSS_OVERHEAD = 64 * MIB;

// The tiny diffusers fixtures (AutoencoderKL f = 4 with mid-block attention, SD2-style U-Net):
// both have exact estimateMemory, and the attention makes untiled large images expensive.
let vae: AutoencoderKL;
let unet: UNet2DConditionModel;
let pipe: YonosPipeline;

beforeAll(async () => {
  await useBackend('wasm');
  vae = await AutoencoderKL.fromPretrained(join(DIFFUSERS_FIXTURES, 'vae-tiny'));
  unet = await UNet2DConditionModel.fromPretrained(join(DIFFUSERS_FIXTURES, 'unet-sd2-tiny'));
  pipe = new YonosPipeline({ vae, unet });
});

afterAll(async () => {
  pipe.dispose();
  await useBackend('cpu');
});


/** The tensor part of a run's estimate (no retained bytes), for the tiles `tile` gives. */
function tensorEstimate(height: number, width: number, tile: boolean | YonosTileOptions, batch: number): number {
  const plan = pipe.tiling(height, width, { tile, batch });
  return estimateRunMemory({
    codec: pipe.vae,
    denoiser: pipe.unet,
    batch,
    input: [height, width],
    output: [height * 4, width * 4],
    padded: [plan.paddedHeight, plan.paddedWidth],
    vaeTileSize: plan.vaeTileSize,
    latentTileSize: plan.latentTileSize,
    contextLength: 1,
    backend: 'cpu',
  }).peak;
}

describe('YonosPipeline memory', () => {
  it('estimates the tensor peak of whole runs from above and within 15 %, untiled and tiled, batch 1 and 2', async () => {
    const cases: Array<[number, number, boolean | YonosTileOptions, number]> = [
      [32, 32, false, 1],
      [24, 40, false, 1],
      [30, 30, false, 2], // output 120, padded to 128: cropped
      [32, 48, { vaeTileSize: 64, latentTileSize: 16 }, 1],
      [40, 40, { vaeTileSize: 96, latentTileSize: 24 }, 1],
      [32, 32, { vaeTileSize: 48, latentTileSize: 12 }, 2],
    ];
    const lines: string[] = [];
    for (const [h, w, tile, batch] of cases) {
      const lr = testImage(batch, h, w);
      const estimate = tensorEstimate(h, w, tile, batch);
      const before = tf.memory().numTensors;
      const { result, peak } = await trackPeakBytesAsync(() => pipe.run(lr, { tile }));
      expect(tf.memory().numTensors).toBe(before + 1);
      lines.push(`${h}x${w} b${batch} ${JSON.stringify(tile)}: estimate ${(estimate / MIB).toFixed(2)} MiB, measured ${(peak / MIB).toFixed(2)} MiB`);
      expect(peak).toBeLessThanOrEqual(estimate);
      expect(estimate).toBeLessThanOrEqual(1.15 * peak);
      tf.dispose([lr, result]);
    }
    console.info(`run tensor peaks:\n${lines.join('\n')}`);
  });

  it('keeps a run whose budget forces tiling within it: tf.memory peak <= budget, the estimate included', async () => {
    const lr = testImage(1, 96, 96);
    const tile = { memoryBudgetMB: 24 };
    const plan = pipe.tiling(96, 96, { tile });
    expect(plan.vaeTiles).toBeGreaterThan(1);
    expect(plan.latentTiles).toBeGreaterThan(1);
    expect(plan.estimatedPeakBytes).toBeLessThanOrEqual(plan.memoryBudgetBytes);
    const untiled = pipe.tiling(96, 96, { tile: false });
    expect(untiled.estimatedPeakBytes).toBeGreaterThan(20 * plan.memoryBudgetBytes); // the VAE's attention over 96^2 latent pixels
    const { result, peak } = await trackPeakBytesAsync(() => pipe.run(lr, { tile }));
    console.info(`budget 24 MiB, ${plan.vaeTiles} VAE and ${plan.latentTiles} U-Net tiles: estimate ${(plan.estimatedPeakBytes / MIB).toFixed(1)} MiB, tensor peak ${(peak / MIB).toFixed(1)} MiB`);
    expect(peak).toBeLessThanOrEqual(plan.memoryBudgetBytes);
    tf.dispose([lr, result]);
  });

  it('keeps a fresh process within the budget plus the weights plus 64 MiB on wasm (RSS), the tensors within the budget', async () => {
    const child = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', join(HERE, 'memory-child.ts'), '128', '48'], {
        cwd: join(HERE, '..'),
        env: { ...process.env, YONOS_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(child.code, child.stderr).toBe(0);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    const mib = (b: number) => `${(b / MIB).toFixed(1)} MiB`;
    console.info(
      `128x128 -> 512x512, budget ${mib(r['budget']!)}: ${r['vaeTiles']} VAE / ${r['latentTiles']} U-Net tiles, estimate ${mib(r['estimate']!)}, ` +
        `tensor peak ${mib(r['tensorPeak']!)}, RSS growth ${mib(r['rssGrowth']!)} (weights ${mib(r['weights']!)})`,
    );
    expect(r['vaeTiles']!).toBeGreaterThan(1);
    expect(r['tensorPeak']!).toBeLessThanOrEqual(r['budget']!);
    expect(r['rssGrowth']!).toBeLessThanOrEqual(r['budget']! + r['weights']! + RSS_OVERHEAD);
  });

  it("estimates TiledLatentCodec's tiled encode and decode from above and within 15 %, and is the codec's own estimate untiled", () => {
    const lines: string[] = [];
    for (const [side, tileSampleSize] of [
      [64, 32],
      [96, 48],
      [64, 64],
    ] as const) {
      const tiled = new TiledLatentCodec(vae, { tileSampleSize });
      const estimate = tiled.estimateMemory([1, side, side], { backend: 'cpu' });
      const image = testImage(1, side, side);
      const encoded = trackPeakBytes(() => tiled.encode(image));
      const latent = encoded.result.mean.clone();
      encoded.result.dispose();
      const decoded = trackPeakBytes(() => tiled.decode(latent));
      tf.dispose([image, latent, decoded.result]);
      lines.push(`${side} px, tiles of ${tileSampleSize}: encode ${encoded.peak} <= ${estimate.encode}, decode ${decoded.peak} <= ${estimate.decode}`);
      expect(encoded.peak).toBeLessThanOrEqual(estimate.encode);
      expect(decoded.peak).toBeLessThanOrEqual(estimate.decode);
      expect(estimate.encode).toBeLessThanOrEqual(1.15 * encoded.peak);
      expect(estimate.decode).toBeLessThanOrEqual(1.15 * decoded.peak);
      if (tileSampleSize >= side) expect(estimate).toEqual(vae.estimateMemory([1, side, side], { backend: 'cpu' }));
      else expect(estimate.decode).toBeLessThan(vae.estimateMemory([1, side, side], { backend: 'cpu' }).decode); // tiles pay off
    }
    console.info(`TiledLatentCodec peaks (bytes):\n${lines.join('\n')}`);
  });

  it('counts what wasm retains (XNNPACK) and its heap slack only on wasm', () => {
    const onWasm = pipe.tiling(64, 64, { tile: false });
    const input = {
      codec: pipe.vae,
      denoiser: pipe.unet,
      batch: 1,
      input: [64, 64],
      output: [256, 256],
      padded: [256, 256],
      vaeTileSize: 256,
      latentTileSize: 64,
      contextLength: 1,
      schedulerStepCopies: 5, // DDIM without clip_sample, as the pipeline passes for its scheduler
    } as const;
    const wasm = estimateRunMemory({ ...input, backend: 'wasm' });
    const cpu = estimateRunMemory({ ...input, backend: 'cpu' });
    expect(onWasm.estimatedPeakBytes).toBe(wasm.peak);
    expect(cpu.retained).toBe(0);
    expect(wasm.retained).toBeGreaterThan(0);
    expect(wasm.decode).toBeCloseTo(1.2 * cpu.decode + wasm.retained, 0);
    expect(wasm.upsample).toBeCloseTo(1.2 * cpu.upsample, 0);
    // A scheduler the pipeline does not know is assumed to hold more.
    expect(estimateRunMemory({ ...input, schedulerStepCopies: undefined, backend: 'cpu' }).denoise).toBeGreaterThanOrEqual(cpu.denoise);
  });
});
