import { trackPeakBytesAsync } from '@yonos/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineInputError, PipelineMemoryError, YonosPipeline, defaultYonosScheduler } from '../src/index.js';
import {
  TileAccumulator,
  TiledLatentCodec,
  blendTileRows,
  blendTiles,
  blendTilesSync,
  denoiseLatents,
  planTiles,
  tileRegions,
  tileStarts,
} from '../src/pipeline/index.js';
import type { TilePlan } from '../src/pipeline/index.js';
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


/**
 * The blend as the pipeline computed it before its memory-lean accumulator: every weighted tile
 * zero-padded to its row strip and summed, every strip padded to the canvas and summed, in order.
 */
function paddedSum(plan: TilePlan, produce: (r: ReturnType<typeof tileRegions>[number]) => tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const { rows, cols, height, width } = plan.output;
    let canvas: tf.Tensor4D | undefined;
    rows.forEach((rt, row) => {
      let strip: tf.Tensor4D | undefined;
      cols.forEach((ct, col) => {
        const out = produce(tileRegions(plan).find((r) => r.row === row && r.col === col)!);
        const weighted = tf.mul(tf.mul(out, tf.tensor4d(rt.weights, [1, rt.size, 1, 1])), tf.tensor4d(ct.weights, [1, 1, ct.size, 1]));
        const padded = tf.pad(weighted, [[0, 0], [0, 0], [ct.start, width - ct.start - ct.size], [0, 0]]) as tf.Tensor4D;
        strip = strip === undefined ? padded : (tf.add(strip, padded) as tf.Tensor4D);
      });
      const padded = tf.pad(strip!, [[0, 0], [rt.start, height - rt.start - rt.size], [0, 0], [0, 0]]) as tf.Tensor4D;
      canvas = canvas === undefined ? padded : (tf.add(canvas, padded) as tf.Tensor4D);
    });
    return canvas!;
  });
}

describe('tile blending', () => {
  it('sums exactly what padding and adding every weighted tile sums (the seams are unchanged), holding one canvas and a few strips', async () => {
    for (const [h, w, tile, overlap, scale] of [
      [29, 37, 10, 0.25, 1],
      [113, 40, 64, 0.25, 2], // three tiles overlap at the end of the rows
      [50, 50, 16, 0.5, 3],
      [20, 90, 8, 0, 1],
      [40, 100, 33, 0.3, 1],
    ] as const) {
      const plan = planTiles({ height: h, width: w, tile, overlap, outputScale: scale });
      const produce = (r: { index: number; height: number; width: number }) =>
        tf.randomNormal([2, r.height * scale, r.width * scale, 3], 0, 1, 'float32', r.index + 7) as tf.Tensor4D;
      const reference = paddedSum(plan, produce);
      const before = tf.memory().numTensors;
      const { result: blended, peak } = await trackPeakBytesAsync(() => blendTiles(plan, produce));
      expect(tf.memory().numTensors).toBe(before + 1);
      // The bound the run estimate uses (estimateRunMemory's tile loop): the canvas, two strips
      // and a tile held, plus a tile's evaluation (here its output) or 7 tiles of weighting and
      // merging, or up to 5 strips while a strip is merged, or 2 canvases at the end.
      const bytes = (rows: number, cols: number) => 2 * rows * cols * 3 * 4;
      const [whole, strip, one] = [bytes(h * scale, w * scale), bytes(plan.output.rows[0]!.size, w * scale), bytes(plan.output.rows[0]!.size, plan.output.cols[0]!.size)];
      const state = whole + 2 * strip + one;
      expect(peak).toBeLessThanOrEqual(Math.max(state + one, state + 8 * one, whole + 5 * strip, 2 * whole));
      expect(await maxDiff(blended, reference)).toBe(0);
      tf.dispose([blended, reference]);
    }
  });

  it('returns the single tile of a one-tile plan as it is: no weighting or padding copies, hooks once', async () => {
    const plan = planTiles({ height: 12, width: 9, tile: 16, overlap: 0.25, outputScale: 2 });
    const tile = tf.randomNormal([1, 24, 18, 3]) as tf.Tensor4D;
    const calls: string[] = [];
    const engine = tf.engine() as unknown as { state: { numBytes: number } };
    const start = engine.state.numBytes;
    const out = await blendTiles(plan, () => tf.clone(tile), { beforeTile: () => void calls.push('before'), afterTile: () => void calls.push('after') });
    expect(engine.state.numBytes - start).toBe(tile.size * 4); // the clone, nothing else
    expect(calls).toEqual(['before', 'after']);
    expect(await maxDiff(out, tile)).toBe(0);
    expect(() => blendTilesSync(plan, () => tf.zeros([1, 4, 4, 3]) as tf.Tensor4D)).toThrow(/the tile is 24x18/);
    tf.dispose([out, tile]);
  });

  it('hands the blended rows over in order, each once, exactly as the blend has them (blendTileRows)', async () => {
    for (const [h, w, tile, overlap] of [
      [113, 40, 64, 0.25],
      [29, 37, 10, 0.25],
      [16, 16, 32, 0.25], // one tile
    ] as const) {
      const plan = planTiles({ height: h, width: w, tile, overlap });
      const produce = (r: { index: number; height: number; width: number }) =>
        tf.randomNormal([1, r.height, r.width, 2], 0, 1, 'float32', r.index + 3) as tf.Tensor4D;
      const whole = await blendTiles(plan, produce);
      const before = tf.memory().numTensors;
      const parts: tf.Tensor4D[] = [];
      let next = 0;
      await blendTileRows(plan, produce, (start, rows) => {
        expect(start).toBe(next);
        next += rows.shape[1];
        parts.push(rows);
      });
      expect(next).toBe(h);
      expect(tf.memory().numTensors).toBe(before + parts.length);
      const joined = tf.concat(parts, 1) as tf.Tensor4D;
      expect(await maxDiff(joined, whole)).toBe(0);
      tf.dispose([whole, joined, ...parts]);
    }
  });

  it('steps DDIM row by row exactly as the whole latent (denoiseLatents stepByRows), holding less, without leaks', async () => {
    const unet = makeDenoiser({ global: 0.5 }); // tile-wide means: the tiles matter
    const scheduler = defaultYonosScheduler();
    const [latents, condition] = [testImage(1, 40, 56, 3), testImage(1, 40, 56, 4)].map((x) => tf.tidy(() => tf.concat([x, tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1])], 3))) as [tf.Tensor4D, tf.Tensor4D];
    const context = tf.zeros([1, 1, 6]) as tf.Tensor3D;
    const plan = planTiles({ height: 40, width: 56, tile: 16, overlap: 0.25 });
    for (const steps of [1, 3]) {
      scheduler.setTimesteps(steps);
      const before = tf.memory().numTensors;
      const whole = await trackPeakBytesAsync(() => denoiseLatents({ unet, scheduler, latents, condition, context, plan }));
      const byRows = await trackPeakBytesAsync(() => denoiseLatents({ unet, scheduler, latents, condition, context, plan, stepByRows: true }));
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(await maxDiff(byRows.result, whole.result)).toBe(0);
      expect(byRows.peak).toBeLessThan(whole.peak);
      tf.dispose([whole.result, byRows.result]);
    }
    tf.dispose([latents, condition, context]);
    unet.dispose();
  });

  it('keeps TileAccumulator usable on its own: out-of-order rows are refused, dispose frees partial sums', () => {
    const plan = planTiles({ height: 20, width: 20, tile: 8, overlap: 0.25 });
    const before = tf.memory().numTensors;
    const acc = new TileAccumulator(plan.output);
    const ones = tf.ones([1, 8, 8, 1]) as tf.Tensor4D;
    acc.add(1, 0, ones);
    acc.add(1, 1, ones);
    expect(() => acc.add(0, 0, ones)).toThrow(PipelineInputError);
    acc.dispose();
    ones.dispose();
    expect(tf.memory().numTensors).toBe(before);
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

  it('blends the posterior mean alone (encodeMeanAsync) exactly as encodeAsync blends it, without leaks', async () => {
    const vae = makeCodec({ mode: 'conv' });
    const image = testImage(1, 64, 96);
    for (const tileSampleSize of [32, 96]) {
      const tiled = new TiledLatentCodec(vae, { tileSampleSize });
      const before = tf.memory().numTensors;
      const posterior = await tiled.encodeAsync(image);
      const mean = await tiled.encodeMeanAsync(image);
      expect(await maxDiff(mean, posterior.mean)).toBe(0);
      posterior.dispose();
      mean.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    image.dispose();
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

  it('chooses tiles from the memory budget: smaller budgets give more, smaller tiles, each plan within its budget', () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    const roomy = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 1e6 } });
    expect(roomy).toMatchObject({ vaeTiles: 1, latentTiles: 1, vaeTileSize: 1024, latentTileSize: 256 });
    const tight = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 512 } });
    const tighter = pipe.tiling(256, 256, { tile: { memoryBudgetMB: 128 } });
    expect(tight.vaeTiles).toBeGreaterThan(1);
    expect(tighter.vaeTileSize).toBeLessThan(tight.vaeTileSize);
    expect(tighter.vaeTiles).toBeGreaterThan(tight.vaeTiles);
    expect(tighter.latentTileSize).toBeLessThanOrEqual(tight.latentTileSize);
    for (const [t, mb] of [
      [tight, 512],
      [tighter, 128],
    ] as const) {
      expect(t.memoryBudgetBytes).toBe(mb * 2 ** 20);
      expect(t.estimatedPeakBytes).toBeLessThanOrEqual(t.memoryBudgetBytes);
      expect(t.estimatedPeakBytes).toBe(Math.max(...Object.values(t.estimatedStageBytes)));
      expect(t.vaeTileSize % 4).toBe(0);
      expect(t.latentTileSize % 2).toBe(0);
    }
    expect(pipe.tiling(256, 256, { tile: false })).toMatchObject({ vaeTiles: 1, latentTiles: 1 });
    // A batch of 4 needs 4 times the memory: smaller tiles for the same budget.
    expect(pipe.tiling(256, 256, { tile: { memoryBudgetMB: 512 }, batch: 4 }).vaeTileSize).toBeLessThan(tight.vaeTileSize);
    pipe.dispose();
  });

  it('takes the smallest tile that needs no more tiles than the largest that fits (no near-whole second tiles)', () => {
    const pipe = new YonosPipeline({ vae: makeCodec(), unet: makeDenoiser() });
    for (const mb of [64, 128, 512]) {
      const t = pipe.tiling(256, 256, { tile: { memoryBudgetMB: mb } });
      const f = 4;
      const count = (tile: number, length: number) => tileStarts(length, Math.min(tile, length), 0.25).length ** 2;
      // One step smaller would need more tiles.
      if (t.vaeTiles > 1) expect(count((t.vaeTileSize - f) / f, t.latentHeight)).toBeGreaterThan(t.vaeTiles);
      if (t.latentTiles > 1) expect(count(t.latentTileSize - 2, t.latentHeight)).toBeGreaterThan(t.latentTiles);
    }
    pipe.dispose();
  });

  it('refuses a run whose budget even the smallest tiles cannot meet, before allocating anything; explicit tiles run', async () => {
    const pipe = new YonosPipeline({ vae: makeCodec({ mode: 'local' }), unet: makeDenoiser({ kernel_size: 1 }) });
    const lr = testImage(1, 64, 64);
    const tile = { memoryBudgetMB: 2 }; // the 256 x 256 output alone is 0.75 MiB; a few copies exceed 2 MiB
    const plan = pipe.tiling(64, 64, { tile });
    expect(plan.estimatedPeakBytes).toBeGreaterThan(plan.memoryBudgetBytes);
    const before = tf.memory().numTensors;
    const error = await pipe.run(lr, { tile }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineMemoryError);
    expect(error).toBeInstanceOf(PipelineInputError);
    const e = error as PipelineMemoryError;
    expect(e.requiredMB).toBe(Math.ceil(plan.estimatedPeakBytes / 2 ** 20));
    expect(e.budgetMB).toBe(2);
    expect(e.message).toMatch(new RegExp(`needs an estimated ${e.requiredMB} MiB .* memory budget of 2 MiB; raise tile\\.memoryBudgetMB to at least ${e.requiredMB}`));
    expect(tf.memory().numTensors).toBe(before);
    // Given tile sizes (or tile: false), the run is the caller's choice and goes ahead.
    tf.dispose(await pipe.run(lr, { tile: { ...tile, vaeTileSize: 32, latentTileSize: 8 } }));
    tf.dispose(await pipe.run(lr, { tile: false }));
    expect(tf.memory().numTensors).toBe(before);
    lr.dispose();
    pipe.dispose();
  });
});
