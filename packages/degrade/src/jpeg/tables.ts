/**
 * Constants of DiffJPEG (BasicSR `basicsr/utils/diffjpeg.py`), kept in its float32 form.
 * Coefficient `(u, v)` of an 8x8 block (u vertical, v horizontal frequency) is flattened
 * to index `8 u + v`.
 */

/** The JPEG standard luminance table (ITU T.81 Annex K), rows = vertical frequency. */
const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** The standard chrominance table's top-left 4x4 (the rest is 99). */
const CHROMA_4X4 = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 99, 47, 66, 99, 99];

/**
 * DiffJPEG stores both tables transposed (`y_table = ....T`) and divides coefficient
 * `(u, v)` by entry `(u, v)` of the transposed table, i.e. by the standard `(v, u)` entry.
 * Reproduced on purpose: results must match BasicSR, not libjpeg.
 */
function transposed(table: readonly number[]): Float32Array {
  const out = new Float32Array(64);
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      out[u * 8 + v] = table[v * 8 + u]!;
    }
  }
  return out;
}

/** Luminance quantization table as DiffJPEG applies it, length 64. */
export const Y_TABLE: Float32Array = transposed(LUMA);

/** Chrominance quantization table as DiffJPEG applies it, length 64. */
export const C_TABLE: Float32Array = transposed(
  Array.from({ length: 64 }, (_, i) => {
    const r = Math.floor(i / 8);
    const c = i % 8;
    return r < 4 && c < 4 ? CHROMA_4X4[r * 4 + c]! : 99;
  }),
);

/** `alpha(u) = 1/sqrt(2)` for the DC row/column, else 1. */
function alpha(u: number): number {
  return u === 0 ? 1 / Math.SQRT2 : 1;
}

/**
 * Forward DCT basis `[64 (x, y), 64 (u, v)]`: `cos((2x+1) u pi / 16) cos((2y+1) v pi / 16)`,
 * computed in float64 and stored in float32 like DiffJPEG's `DCT8x8.tensor`.
 */
export const DCT_BASIS: Float32Array = (() => {
  const out = new Float32Array(64 * 64);
  for (let x = 0; x < 8; x++) {
    for (let y = 0; y < 8; y++) {
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          out[(x * 8 + y) * 64 + u * 8 + v] = Math.cos(((2 * x + 1) * u * Math.PI) / 16) * Math.cos(((2 * y + 1) * v * Math.PI) / 16);
        }
      }
    }
  }
  return out;
})();

/** Forward DCT output scale `alpha(u) alpha(v) / 4`, float32, length 64. */
export const DCT_SCALE: Float32Array = Float32Array.from({ length: 64 }, (_, i) => alpha(Math.floor(i / 8)) * alpha(i % 8) * 0.25);

/** Inverse DCT input scale `alpha(u) alpha(v)`, float32, length 64. */
export const IDCT_ALPHA: Float32Array = Float32Array.from({ length: 64 }, (_, i) => alpha(Math.floor(i / 8)) * alpha(i % 8));

/**
 * Inverse DCT basis `[64 (u, v), 64 (x, y)]`: `cos((2x+1) u pi / 16) cos((2y+1) v pi / 16)`
 * (DiffJPEG's `iDCT8x8.tensor`, same values with frequency first).
 */
export const IDCT_BASIS: Float32Array = (() => {
  const out = new Float32Array(64 * 64);
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      for (let x = 0; x < 8; x++) {
        for (let y = 0; y < 8; y++) {
          out[(u * 8 + v) * 64 + x * 8 + y] = Math.cos(((2 * x + 1) * u * Math.PI) / 16) * Math.cos(((2 * y + 1) * v * Math.PI) / 16);
        }
      }
    }
  }
  return out;
})();

/** RGB -> YCbCr (JFIF) as a right-multiplied `[3, 3]` matrix (`ycc = rgb · M`), float32. */
export const RGB_TO_YCBCR: Float32Array = Float32Array.from([0.299, -0.168736, 0.5, 0.587, -0.331264, -0.418688, 0.114, 0.5, -0.081312]);

/** YCbCr -> RGB as a right-multiplied `[3, 3]` matrix (`rgb = (ycc + shift) · M`), float32. */
export const YCBCR_TO_RGB: Float32Array = Float32Array.from([1, 1, 1, 0, -0.344136, 1.772, 1.402, -0.714136, 0]);

/**
 * DiffJPEG's `quality_to_factor`: the multiplier of the quantization tables for a JPEG
 * quality in (0, 100]: `50 / q` below 50, `2 - q / 50` from 50 on (0 at q = 100). DiffJPEG
 * neither rounds nor clamps the scaled tables, unlike libjpeg.
 */
export function qualityToFactor(quality: number): number {
  return (quality < 50 ? 5000 / quality : 200 - quality * 2) / 100;
}
