// Test images: smooth random colour fields written as PNG files.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRng } from '@yonos/core';
import type { RawImage } from '@yonos/core';
import { writeImage } from '@yonos/core/node';

/** A width x height RGB image: a seeded gradient plus noise, 8 bits. */
export function makeRawImage(seed: number, width: number, height: number): RawImage {
  const rng = createRng(seed);
  const [a, b, c] = [rng.nextFloat(), rng.nextFloat(), rng.nextFloat()];
  const noise = rng.uniformArray(width * height * 3, -20, 20);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = [a * 255 * (x / width), b * 255 * (y / height), c * 255];
      for (let k = 0; k < 3; k++) {
        const i = (y * width + x) * 3 + k;
        data[i] = Math.max(0, Math.min(255, Math.round(base[k]! + noise[i]!)));
      }
    }
  }
  return { data, width, height, channels: 3, bitDepth: 8 };
}

/** Writes `count` PNGs `img-<i>.png` (some in a subfolder) and returns their raw pixels by relative path. */
export async function writeImageFolder(
  dir: string,
  count: number,
  size: { width: number; height: number } = { width: 24, height: 20 },
  seed = 1,
): Promise<Map<string, RawImage>> {
  const out = new Map<string, RawImage>();
  for (let i = 0; i < count; i++) {
    const rel = i % 3 === 2 ? `sub/img-${i}.png` : `img-${i}.png`;
    const raw = makeRawImage(seed * 1000 + i, size.width, size.height);
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeImage(join(dir, rel), raw);
    out.set(rel, raw);
  }
  return out;
}
