/** A crop rectangle in pixels: top-left corner and size. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The part of a seeded generator the grid needs (core's `Rng` has it). */
export interface IntSource {
  /** An integer uniform in `[min, max]`, both inclusive. */
  nextInt(min: number, max: number): number;
}

/**
 * Non-overlapping `size`x`size` crops covering as much of a `width`x`height` image as whole
 * tiles can: `floor(width / size)` columns by `floor(height / size)` rows, the grid shifted by
 * a random offset in the leftover margin so the unused border is not always right/bottom.
 * Row-major order. An image smaller than `size` on either side gives no crops.
 */
export function cropGrid(width: number, height: number, size: number, rng: IntSource): CropBox[] {
  const cols = Math.floor(width / size);
  const rows = Math.floor(height / size);
  if (cols === 0 || rows === 0) return [];
  const ox = rng.nextInt(0, width - cols * size);
  const oy = rng.nextInt(0, height - rows * size);
  const boxes: CropBox[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) boxes.push({ x: ox + c * size, y: oy + r * size, width: size, height: size });
  }
  return boxes;
}

/**
 * Size after scaling an image so its short side becomes `targetShort` pixels, never enlarging
 * (an image already smaller keeps its size).
 * @returns the factor applied and the rounded output size.
 */
export function shrinkToShortSide(width: number, height: number, targetShort: number): { factor: number; width: number; height: number } {
  const factor = Math.min(1, targetShort / Math.min(width, height));
  return { factor, width: Math.max(1, Math.round(width * factor)), height: Math.max(1, Math.round(height * factor)) };
}

/**
 * Copies one crop out of interleaved 8-bit pixels (HWC, row-major).
 * @param data - `width * height * channels` bytes.
 */
export function extractCrop(data: Uint8Array, width: number, channels: number, box: CropBox): Uint8Array {
  const out = new Uint8Array(box.width * box.height * channels);
  const rowBytes = box.width * channels;
  for (let y = 0; y < box.height; y++) {
    const start = ((box.y + y) * width + box.x) * channels;
    out.set(data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return out;
}
