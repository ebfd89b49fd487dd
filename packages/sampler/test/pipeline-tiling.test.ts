import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LatentCodec } from '@yonos/core';
import {
  PipelineInputError,
  TiledLatentCodec,
  YonosPipeline,
  blendTilesSync,
  estimateCodecBytes,
  estimateDenoiserBytes,
  planTiles,
  tileStarts,
} from '../src/index.js';
import type { TilePlan } from '../src/index.js';
import { makeCodec, makeDenoiser, maxDiff, testImage } from './pipeline-standins.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tile planning', () => {
  it('covers each axis with full-size tiles whose weights sum to 1 at every pixel', () => {
    for (const [length, tile, overlap] of [
      [100, 64, 0.25],
      [113, 64, 0.25], // the end shift makes three tiles overlap
      [64, 64, 0.25],
      [40, 64, 0.25],
      [96, 32, 0],
      [250, 48, 0.5],
    ] as const) {
      const plan = planTiles({ height: length, width: 7, tile, overlap, outputScale: 3 });
      const starts = tileStarts(length, Math.min(tile, length), overlap);
      expect(starts[0]).toBe(0);
      expect(starts.at(-1)! + Math.min(tile, length)).toBe(length);
      const stride = Math.min(tile, length) - Math.round(Math.min(tile, length) * overlap);
      starts.slice(1).forEach((s, k) => expect(s - starts[k]!).toBeLessThanOrEqual(Math.max(1, stride)));
      const sum = new Float64Array(length * 3);
      for (const t of plan.output.rows) {
        expect(t.size).toBe(Math.min(tile, length) * 3);
        t.weights.forEach((w, i) => {
          expect(w).toBeGreaterThan(0);
          sum[t.start + i]! += w;
        });
      }
      for (const s of sum) expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      expect(plan.count).toBe(starts.length);
    }
    expect(() => planTiles({ height: 10, width: 10, tile: 4, overlap: 0.6 })).toThrow(PipelineInputError);
  });

  it('blends linearly across a two-tile overlap, like diffusers', () => {
    const plan = planTiles({ height: 1, width: 12, tile: 8, overlap: 0.5 }); // starts 0 and 4: overlap of 4
    const [a, b] = plan.output.cols;
    expect(Array.from(a!.weights)).toEqual([1, 1, 1, 1, 0.875, 0.625, 0.375, 0.125].map(Math.fround));
    expect(Array.from(b!.weights)).toEqual([0.125, 0.375, 0.625, 0.875, 1, 1, 1, 1].map(Math.fround));
  });

  it('reassembles an image exactly from its own tiles, without leaks', async () => {
    const image = testImage(2, 29, 37);
    const before = tf.memory().numTensors;
    const plan = planTiles({ height: 29, width: 37, tile: 10, overlap: 0.25 });
    const out = blendTilesSync(plan, (r) => tf.slice(image, [0, r.y, r.x, 0], [-1, r.height, r.width, -1]));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(await maxDiff(out, image)).toBeLessThan(1e-6);
    tf.dispose([out, image]);
  });
});

/** Max |a - b| at pixels farther than `margin` from every tile edge inside the image, and overall. */
async function diffAwayFromEdges(a: tf.Tensor4D, b: tf.Tensor4D, plan: TilePlan, margin: number): Promise<[number, number]> {
  const [n, h, w, c] = a.shape;
  const [x, y] = [await a.data(), await b.data()];
  const edges = (tiles: TilePlan['output']['rows'], length: number) => {
    const near = new Uint8Array(length);
    for (const t of tiles) {
      for (const e of [t.start, t.start + t.size]) {
        if (e === 0 || e === length) continue;
        for (let i = Math.max(0, e - margin); i < Math.min(length, e + margin); i++) near[i] = 1;
      }
    }
    return near;
  };
  const nearRow = edges(plan.output.rows, h);
  const nearCol = edges(plan.output.cols, w);
  let far = 0;
  let all = 0;
  for (let i = 0; i < n * h * w * c; i++) {
    const row = Math.floor(i / (w * c)) % h;
    const col = Math.floor(i / c) % w;
    const d = Math.abs(x[i]! - y[i]!);
    all = Math.max(all, d);
    if (!nearRow[row] && !nearCol[col]) far = Math.max(far, d);
  }
  return [far, all];
}

describe('TiledLatentCodec', () => {
  it('equals the untiled codec for a purely local codec (encode and decode), without leaks', async () => {
    const vae = makeCodec({ mode: 'local' });
    const tiled = new TiledLatentCodec(vae, { tileSampleSize: 16 });
    const image = testImage(1, 40, 56);
    const before = tf.memory().numTensors;
    const whole = vae.encode(image);
    const parts = tiled.encode(image);
    expect(tiled.encodePlan(40, 56).count).toBe(15); // latent 10 x 14, tiles of 4 at stride 3: 3 x 5
    expect(await maxDiff(parts.mean, whole.mean)).toBeLessThan(1e-5);
    expect(await maxDiff(parts.logvar, whole.logvar)).toBeLessThan(1e-5);
    const decodedWhole = vae.decode(whole.mean);
    const decodedTiles = tiled.decode(whole.mean);
    const err = await maxDiff(decodedTiles, decodedWhole);
    console.info(`local codec, tiled vs untiled: decode max |diff| ${err}`);
    expect(err).toBeLessThan(1e-5);
    whole.dispose();
    parts.dispose();
    tf.dispose([decodedWhole, decodedTiles]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
    vae.dispose();
  });

  it('differs from the untiled codec only near tile edges when the codec has a 3x3 receptive field', async () => {
    const vae = makeCodec({ mode: 'conv' });
    const tiled = new TiledLatentCodec(vae, { tileSampleSize: 32 });
    const image = testImage(1, 64, 96);
    const whole = vae.encode(image);
    const parts = tiled.encode(image);
    // One latent pixel of zero padding per tile edge; the blend ramps cover the rest.
    const [farEnc, allEnc] = await diffAwayFromEdges(parts.mean, whole.mean, tiled.encodePlan(64, 96), 1);
    const decodedWhole = vae.decode(whole.mean);
    const decodedTiles = tiled.decode(whole.mean);
    const [farDec, allDec] = await diffAwayFromEdges(decodedTiles, decodedWhole, tiled.decodePlan(16, 24), 4);
    console.info(`3x3 codec, tiled vs untiled: encode max ${allEnc} (${farEnc} away from edges), decode max ${allDec} (${farDec} away)`);
    expect(allEnc).toBeGreaterThan(1e-4); // tiling does change something: the check below is not vacuous
    expect(farEnc).toBeLessThan(1e-5);
    expect(farDec).toBeLessThan(1e-5);
    whole.dispose();
    parts.dispose();
    tf.dispose([decodedWhole, decodedTiles, image]);
    vae.dispose();
  });

  it('rejects tile sizes that are not multiples of the codec factor', () => {
    expect(() => new TiledLatentCodec(makeCodec(), { tileSampleSize: 18 })).toThrow(/multiple of the codec's downsample factor 4/);
  });
});

/** Mean |difference| between neighbouring columns (x, x + 1), averaged over batch, rows and channels. */
async function columnSteps(image: tf.Tensor4D): Promise<Float64Array> {
  const [n, h, w, c] = image.shape;
  const v = await image.data();
  const out = new Float64Array(w - 1);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x + 1 < w; x++)
        for (let k = 0; k < c; k++) {
          const i = ((b * h + y) * w + x) * c + k;
          out[x]! += Math.abs(v[i + c]! - v[i]!) / (n * h * c);
        }
  return out;
}

/** Columns x whose step (x, x + 1) crosses a tile edge of any of the plans (output pixels). */
function borderColumns(plans: Array<{ plan: TilePlan; scale: number }>, width: number): Set<number> {
  const out = new Set<number>();
  for (const { plan, scale } of plans) {
    for (const t of plan.input.cols) {
      for (const e of [t.start * scale, (t.start + t.size) * scale]) if (e > 0 && e < width) out.add(e - 1);
    }
  }
  return out;
}

describe('YonosPipeline tiling', () => {
  it('gives the untiled output when codec and denoiser are local (1x1 U-Net, patch codec)', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec({ mode: 'local' }), unet: makeDenoiser({ kernel_size: 1 }) });
    const lr = testImage(1, 24, 16);
    const whole = await pipe.run(lr, { tile: false, steps: 2, seed: 4 });
    const before = tf.memory().numTensors;
    const tiled = await pipe.run(lr, { tile: { vaeTileSize: 32, latentTileSize: 8 }, steps: 2, seed: 4 });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(pipe.tiling(24, 16, { tile: { vaeTileSize: 32, latentTileSize: 8 } })).toMatchObject({ vaeTiles: 12, latentTiles: 12 }); // latent 24 x 16, tiles of 8 at stride 6: 4 x 3
    const err = await maxDiff(tiled, whole);
    console.info(`local models, tiled vs untiled pipeline: max |diff| ${err}`);
    expect(err).toBeLessThan(1e-5);
    tf.dispose([lr, whole, tiled]);
    pipe.dispose();
  });

  it('shows no seams with non-local models, where hard tiles (overlap 0) do show them', async () => {
    // Both models subtract tile-wide means, as GroupNorm and attention make real models depend on the whole tile.
    // The denoiser looks at z_lr only and the image has little grain, so the output is smooth
    // and a seam would stand out (with z_T in view, one-step outputs are noise-like everywhere).
    const pipe = new YonosPipeline({
      vae: makeCodec({ mode: 'global' }),
      unet: makeDenoiser({ global: 0.8, condition_only: true }),
    });
    // z_T = 0 keeps the noise out of the picture (x0 of one step holds sqrt(abar_999) * z_T).
    const lr = testImage(1, 48, 48, 11, 0.02);
    const latents = tf.zeros(pipe.latentShape(48, 48)) as tf.Tensor4D;
    const h = 192;
    const measure = async (overlap: number) => {
      const tile = { vaeTileSize: 64, latentTileSize: 16, vaeOverlap: overlap, latentOverlap: overlap };
      const out = await pipe.run(lr, { tile, latents });
      const whole = await pipe.run(lr, { tile: false, latents });
      const f = pipe.vae.downsampleFactor;
      const plans = [
        { plan: planTiles({ height: h / f, width: h / f, tile: 16, overlap }), scale: f }, // U-Net tiles
        { plan: planTiles({ height: h / f, width: h / f, tile: 64 / f, overlap }), scale: f }, // VAE tiles
      ];
      // Rows and columns alike (the grid is square); the outer margin is left out, where
      // padding changes tiled and untiled outputs alike.
      const transposed = tf.transpose(out, [0, 2, 1, 3]) as tf.Tensor4D;
      const profiles = [await columnSteps(out), await columnSteps(transposed)];
      transposed.dispose();
      const border = borderColumns(plans, h);
      const margin = 8;
      let worstBorder = 0;
      let worstInterior = 0;
      for (const steps of profiles) {
        steps.forEach((s, x) => {
          if (border.has(x)) worstBorder = Math.max(worstBorder, s);
          else if (x >= margin && x < h - 1 - margin) worstInterior = Math.max(worstInterior, s);
        });
      }
      const vsUntiled = await maxDiff(out, whole);
      tf.dispose([out, whole]);
      return { worstBorder, worstInterior, vsUntiled, borders: border.size };
    };
    const blended = await measure(0.25);
    const hard = await measure(0);
    console.info(`seams: blended border ${blended.worstBorder} vs interior ${blended.worstInterior} (vs untiled ${blended.vsUntiled}); ` +
      `hard tiles border ${hard.worstBorder} vs interior ${hard.worstInterior}`);
    expect(blended.borders).toBeGreaterThan(4);
    expect(hard.worstBorder).toBeGreaterThan(hard.worstInterior); // the measure detects seams
    expect(blended.worstBorder).toBeLessThanOrEqual(blended.worstInterior);
    tf.dispose([lr, latents]);
    pipe.dispose();
  });

  it('chooses tiles from the memory budget: smaller budgets give more, smaller tiles', () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const roomy = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 1e6 } });
    expect(roomy).toMatchObject({ vaeTiles: 1, latentTiles: 1, vaeTileSize: 1024, latentTileSize: 256 });
    const tight = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 64 } });
    const tighter = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 16 } });
    expect(tight.vaeTiles).toBeGreaterThan(1);
    expect(tighter.vaeTileSize).toBeLessThan(tight.vaeTileSize);
    expect(tighter.latentTileSize).toBeLessThanOrEqual(tight.latentTileSize);
    for (const t of [tight, tighter]) {
      const budget = (t === tight ? 64 : 16) * 2 ** 20;
      expect(estimateCodecBytes(pipe.vae as LatentCodec, t.vaeTileSize, t.vaeTileSize)).toBeLessThanOrEqual(budget);
      expect(estimateDenoiserBytes(pipe.unet, t.latentTileSize, t.latentTileSize)).toBeLessThanOrEqual(budget);
      expect(t.vaeTileSize % 4).toBe(0);
      expect(t.latentTileSize % 2).toBe(0);
    }
    expect(pipe.tiling(256, 256, { tile: false })).toMatchObject({ vaeTiles: 1, latentTiles: 1 });
    // A batch of 4 shares the budget.
    expect(pipe.tiling(256, 256, { tile: { memoryBudgetMB: 64 }, batch: 4 }).vaeTileSize).toBeLessThan(tight.vaeTileSize);
    pipe.dispose();
  });

  it('estimates the SD VAE decode at 2048 px far above 1 GiB untiled, within budget tiled', () => {
    const sdVae = { latentChannels: 4, downsampleFactor: 8, scalingFactor: 0.18215, shiftFactor: 0 } as LatentCodec;
    expect(estimateCodecBytes(sdVae, 2048, 2048)).toBeGreaterThan(2 ** 34); // the 65536-token mid-block attention alone is 32 GiB
    expect(estimateCodecBytes(sdVae, 512, 512)).toBeLessThan(2 ** 31);
  });
});
