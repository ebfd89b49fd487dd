// Tiles without seams, on the bundled model. Seeded noise is drawn for the whole latent, so a
// tiled run differs from the untiled one only through tiling: the U-Net's GroupNorm (one group,
// statistics over the whole tile) and every receptive field end at tile edges. A seam is where
// that difference jumps: blended tiles must spread it out, and hard tiles (overlap 0, no blend)
// show it, the control that the measure sees seams.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRawImage } from '@yonos/core';
import { readImage } from '@yonos/core/node';
import { YonosPipeline, useBackend } from '../src/index.js';
import { planTiles } from '@yonos/sampler/internal';
// How the evaluation set's LR images are made (MATLAB imresize of uint8 pixels).
import { resizeU8 } from '../../../scripts/data/lib/u8-resize.js';

const IMAGES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'examples', 'images');
const SCALE = 4;
const LR_SIDE = 64;
const OUT = LR_SIDE * SCALE;
/** U-Net tiles in latent pixels, VAE tiles in image pixels: the same grid (latent /2). */
const LATENT_TILE = 32;
const VAE_TILE = 64;
/** Columns this close to the image's border are left out: padding changes them tiled or not. */
const MARGIN = 8;
/** Half the width of the bands of columns compared (the decoder smears a seam over a few columns). */
const HALF_BAND = 2;
/** Bands of "elsewhere" start this far from every tile edge. */
const AWAY = 12;
/**
 * A seam: the band at a tile edge steps more than this many times the worst band elsewhere.
 * Measured (issue 21): blended tiles 1.00x, hard tiles 2.78x.
 */
const SEAM_RATIO = 1.5;

let pipe: YonosPipeline;
let lr: tf.Tensor4D;
let whole: tf.Tensor4D;

beforeAll(async () => {
  await useBackend('wasm');
  pipe = await YonosPipeline.fromPretrained(undefined, { scale: SCALE });
  const hr = await readImage(join(IMAGES, 'astronaut.png'));
  lr = fromRawImage(await resizeU8(hr, { height: LR_SIDE, width: LR_SIDE })).rgb;
  whole = await pipe.run(lr, { tile: false, seed: 5 });
});

afterAll(() => {
  tf.dispose([lr, whole]);
  pipe?.dispose();
});

/** Per column x: mean over rows and channels of |e(x + 1) - e(x)|. */
async function columnSteps(e: tf.Tensor4D): Promise<Float32Array> {
  const steps = tf.tidy(() => {
    const w = e.shape[2];
    const right = tf.slice(e, [0, 0, 1, 0], [-1, -1, w - 1, -1]);
    const left = tf.slice(e, [0, 0, 0, 0], [-1, -1, w - 1, -1]);
    return tf.mean(tf.abs(tf.sub(right, left)), [0, 1, 3]);
  });
  const values = (await steps.data()) as Float32Array;
  steps.dispose();
  return values;
}

/** Output columns x whose step x -> x + 1 crosses the start or end of a U-Net or VAE tile. */
function tileEdges(overlap: number): number[] {
  const f = pipe.vae.downsampleFactor;
  const latent = OUT / f;
  const edges = new Set<number>();
  for (const tile of [LATENT_TILE, VAE_TILE / f]) {
    for (const t of planTiles({ height: latent, width: latent, tile, overlap }).input.cols) {
      for (const e of [t.start * f, (t.start + t.size) * f]) if (e > 0 && e < OUT) edges.add(e - 1);
    }
  }
  return [...edges];
}

/**
 * Runs tiled and compares with the untiled run: the worst mean step of `tiled - whole` over a band
 * of columns (and rows) at a tile edge, and over bands away from every edge.
 */
async function seams(overlap: number): Promise<{ border: number; elsewhere: number; edges: number; vsUntiled: number }> {
  const tile = { latentTileSize: LATENT_TILE, vaeTileSize: VAE_TILE, latentOverlap: overlap, vaeOverlap: overlap };
  const count = overlap === 0 ? 16 : 25; // 4 x 4 abutting tiles, or 5 x 5 overlapping ones
  expect(pipe.tiling(LR_SIDE, LR_SIDE, { tile })).toMatchObject({ latentTiles: count, vaeTiles: count });
  const tiled = await pipe.run(lr, { tile, seed: 5 });
  const e = tf.sub(tiled, whole) as tf.Tensor4D;
  const eT = tf.transpose(e, [0, 2, 1, 3]) as tf.Tensor4D;
  const profiles = [await columnSteps(e), await columnSteps(eT)];
  const maxT = tf.tidy(() => tf.max(tf.abs(e)));
  const vsUntiled = (await maxT.data())[0]!;
  tf.dispose([tiled, e, eT, maxT]);

  const edges = tileEdges(overlap);
  const band = (steps: Float32Array, c: number): number => {
    let sum = 0;
    for (let x = c - HALF_BAND; x < c + HALF_BAND; x++) sum += steps[x]!;
    return sum / (2 * HALF_BAND);
  };
  let border = 0;
  let elsewhere = 0;
  for (const steps of profiles) {
    for (const edge of edges) border = Math.max(border, band(steps, edge));
    for (let c = MARGIN + HALF_BAND; c < OUT - 1 - MARGIN - HALF_BAND; c++) {
      if (edges.every((edge) => Math.abs(c - edge) >= AWAY)) elsewhere = Math.max(elsewhere, band(steps, c));
    }
  }
  return { border, elsewhere, edges: edges.length, vsUntiled };
}

describe('the bundled x4 model, tiled', () => {
  it(`shows no seams with blended tiles (tile edges step < ${SEAM_RATIO}x elsewhere), where hard tiles show them, without leaks`, async () => {
    const before = tf.memory().numTensors;
    const blended = await seams(0.25);
    const hard = await seams(0);
    expect(tf.memory().numTensors).toBe(before);
    const line = (name: string, r: Awaited<ReturnType<typeof seams>>): string =>
      `${name}: tile edges ${r.border.toExponential(3)} vs elsewhere ${r.elsewhere.toExponential(3)} ` +
      `(${(r.border / r.elsewhere).toFixed(2)}x, ${r.edges} edge columns; tiled vs untiled max |diff| ${r.vsUntiled.toFixed(4)})`;
    console.info(`bundled x4 seams, ${line('blended', blended)}; ${line('hard', hard)}`);
    expect(blended.edges).toBeGreaterThan(hard.edges);
    expect(hard.border).toBeGreaterThan(SEAM_RATIO * hard.elsewhere); // the measure sees seams
    expect(blended.border).toBeLessThanOrEqual(SEAM_RATIO * blended.elsewhere);
  });
});
