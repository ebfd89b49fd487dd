import { describe, expect, it } from 'vitest';
import { createRng } from '@yonos/core';
import { cropGrid, extractCrop, shrinkToShortSide } from '../lib/crop-grid.js';

describe('cropGrid', () => {
  it('tiles whole, non-overlapping squares inside the image, offset within the margin', () => {
    const rng = createRng(7);
    for (const [w, h, size] of [[1000, 700, 256], [256, 256, 256], [513, 300, 128]] as const) {
      const boxes = cropGrid(w, h, size, rng);
      expect(boxes.length).toBe(Math.floor(w / size) * Math.floor(h / size));
      const cols = Math.floor(w / size);
      for (const [i, b] of boxes.entries()) {
        expect(b.width).toBe(size);
        expect(b.x + size).toBeLessThanOrEqual(w);
        expect(b.y + size).toBeLessThanOrEqual(h);
        expect(b.x - boxes[0]!.x).toBe((i % cols) * size);
        expect(b.y - boxes[0]!.y).toBe(Math.floor(i / cols) * size);
      }
      expect(boxes[0]!.x).toBeLessThanOrEqual(w - cols * size);
    }
  });

  it('gives nothing for an image smaller than one crop', () => {
    expect(cropGrid(255, 1000, 256, createRng(0))).toEqual([]);
  });

  it('is reproducible from the seed and varies with it', () => {
    const offsets = (seed: number) => Array.from({ length: 8 }, (_, k) => cropGrid(1000 + k, 900, 256, createRng(seed).fork(k))[0]);
    expect(offsets(3)).toEqual(offsets(3));
    expect(offsets(3)).not.toEqual(offsets(4));
  });
});

describe('shrinkToShortSide', () => {
  it('maps the short side to the target and never enlarges', () => {
    expect(shrinkToShortSide(2560, 1600, 800)).toEqual({ factor: 0.5, width: 1280, height: 800 });
    expect(shrinkToShortSide(1000, 2000, 1500)).toEqual({ factor: 1, width: 1000, height: 2000 });
  });
});

describe('extractCrop', () => {
  it('copies exactly the pixels of the box', () => {
    const w = 7, h = 5, c = 3;
    const data = Uint8Array.from({ length: w * h * c }, (_, i) => i % 251);
    const box = { x: 2, y: 1, width: 3, height: 2 };
    const crop = extractCrop(data, w, c, box);
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        for (let k = 0; k < c; k++) expect(crop[(y * box.width + x) * c + k]).toBe(data[((box.y + y) * w + box.x + x) * c + k]);
      }
    }
  });
});
