import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawImage } from '@yonos/core';
import { montageLayout, montageSvg } from '../lib/montage.js';
import type { MontageSpec } from '../lib/montage.js';
import { svgToPng } from '../lib/svg.js';
import { removeTempDirs, tempDir } from './helpers.js';

/** A 2x2 checker of two colours, each square `half` pixels. */
function checker(half: number, a: readonly number[], b: readonly number[]): RawImage {
  const side = 2 * half;
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) data.set((x < half) === (y < half) ? a : b, (y * side + x) * 3);
  }
  return { data, width: side, height: side, channels: 3, bitDepth: 8 };
}

const colours = [[255, 0, 0], [0, 128, 255], [20, 200, 40], [250, 220, 10]] as const;
const spec: MontageSpec = {
  columns: ['HR', 'bicubic', 'esrgan-thick', 'YONOS'],
  rows: [0, 1].map((r) => ({
    label: `image ${r}`,
    cells: colours.map((c, k) => ({ image: checker(4, c, colours[(k + r + 1) % 4]!), caption: `${k} dB` })),
  })),
  zoom: 3,
  gap: 5,
  header: 20,
  caption: 14,
  labelWidth: 70,
};

describe('montage', () => {
  afterAll(removeTempDirs);

  it('has the documented size', () => {
    const layout = montageLayout(spec);
    const cell = 8 * 3;
    expect(layout.cell).toBe(cell);
    expect(layout.width).toBe(70 + 5 + 4 * (cell + 5));
    expect(layout.height).toBe(20 + 5 + 2 * (cell + 14 + 5));
  });

  it('rasterizes to that size with every crop enlarged by nearest neighbour at its place', async () => {
    const { svg, layout } = await montageSvg(spec);
    expect(svg).toContain('>esrgan-thick</text>');
    expect(svg).toContain('>image 1</text>');
    const path = join(await tempDir(), 'montage.png');
    expect(await svgToPng(svg, path)).toEqual({ width: layout.width, height: layout.height });
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    for (const [r, row] of spec.rows.entries()) {
      for (const [c, cell] of row.cells.entries()) {
        const o = layout.origin(r, c);
        // Corners of the top-left and top-right zoomed squares: exact colours, sharp edges.
        const src = (x: number, y: number) => [...cell.image.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)];
        expect(px(o.x, o.y)).toEqual(src(0, 0));
        expect(px(o.x + 4 * 3 - 1, o.y + 4 * 3 - 1)).toEqual(src(3, 3));
        expect(px(o.x + 4 * 3, o.y)).toEqual(src(4, 0));
        expect(px(o.x + 8 * 3 - 1, o.y + 8 * 3 - 1)).toEqual(src(7, 7));
      }
    }
  });

  it('rejects a row with the wrong number of cells', async () => {
    await expect(montageSvg({ ...spec, rows: [{ label: 'short', cells: spec.rows[0]!.cells.slice(1) }] })).rejects.toThrow(/has 3 cells for 4 columns/);
  });
});
