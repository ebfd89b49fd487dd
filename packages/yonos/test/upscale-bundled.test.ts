// `yonos upscale` with the model it ships (no --model): the residual AutoencoderTiny + UNet2DModel
// pipeline, whose latent must be a multiple of 8, on sizes that are not, gives the same bytes as
// the library's YonosPipeline; --tile speaks in this model's multiples.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, writeImage } from '@yonos/core/node';
import { YonosPipeline, useBackend } from '../src/index.js';
import type { RawImage } from '../src/index.js';
import { testImage, yonos } from './helpers.js';

let root: string;
let input: string;

beforeAll(async () => {
  await useBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'yonos-upscale-bundled-'));
  input = join(root, 'in');
  await mkdir(input);
  // 13 x 11 -> 52 x 44 at x4: a 26 x 22 latent, padded to 32 x 24 for the U-Net.
  await writeImage(join(input, 'odd.png'), testImage(13, 11, 5));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('yonos upscale with the bundled model', () => {
  it('upscales sizes off its latent multiple of 8 (x4 and x8) exactly as YonosPipeline does', async () => {
    const image = await readImage(join(input, 'odd.png'));
    for (const scale of [4, 8]) {
      const out = join(root, `x${scale}`);
      const run = await yonos('upscale', join(input, 'odd.png'), '-o', out, '--scale', String(scale));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Upscaled 1 image x${scale} into .*: steps 1, seed 0, backend wasm, model .*model/x${scale}\\.$`, 'm'));
      const written = await readImage(join(out, `odd_x${scale}.png`));

      const pipe = await YonosPipeline.fromPretrained(undefined, { scale });
      expect([pipe.residual, pipe.latentMultiple, pipe.vae.downsampleFactor]).toEqual([true, 8, 2]);
      const expected = (await pipe.upscale(image, { seed: 0 })) as RawImage;
      pipe.dispose();
      expect([written.width, written.height, written.channels]).toEqual([13 * scale, 11 * scale, 3]);
      expect(Buffer.from(written.data).equals(Buffer.from(expected.data)), `x${scale}: the command's pixels differ from YonosPipeline's`).toBe(true);
    }
  });

  it("--tile takes multiples of this model's VAE factor x latent multiple (16 output pixels) and tiles with them", async () => {
    const photo = join(input, 'odd.png');
    const bad = await yonos('upscale', photo, '-o', join(root, 'tile-bad'), '--tile', '24');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --tile 24 is not a multiple of 16 \(this model's VAE factor 2 x latent multiple 8\): pass 16 or 32, or 0 to turn tiling off\.$/m);
    const tiled = await yonos('upscale', photo, '-o', join(root, 'tiled'), '--tile', '32');
    expect(tiled.code, tiled.stderr).toBe(0);
    const whole = await yonos('upscale', photo, '-o', join(root, 'whole'), '--tile', '0');
    expect(whole.code, whole.stderr).toBe(0);
    const [a, b] = [await readImage(join(root, 'tiled', 'odd_x4.png')), await readImage(join(root, 'whole', 'odd_x4.png'))];
    expect([a.width, a.height]).toEqual([52, 44]);
    // 32-px tiles of a 52 x 44 output: the U-Net sees 16 x 16 latent windows, so the result differs.
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(false);
  });
});
