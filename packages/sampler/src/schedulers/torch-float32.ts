/**
 * Host-side reproductions of the float32 arithmetic PyTorch (CPU) performs when diffusers
 * builds a schedule, so that `alphas_cumprod` here is bit-identical to diffusers' tensors
 * rather than merely close: checkpoints were trained against those exact float32 values.
 * Results are float32-representable numbers held in `Float64Array`s.
 * @internal
 */

const f32 = Math.fround;

/**
 * PyTorch 1.x's AVX2 linspace kernel writes blocks of 8 lanes: each block's base value is
 * `start + step * idx` (or the mirrored form from `end` in the second half), and lane j is
 * `base + j * step`. The build contracts these into fused multiply-adds, so each value is
 * rounded to float32 once; the product of a float32 and a small integer is exact in double,
 * so evaluating in double and rounding reproduces that. A remainder shorter than two blocks
 * is computed one element at a time. Verified bit for bit against diffusers' scaled-linear
 * `alphas_cumprod` and every linear-schedule step in the fixtures.
 */
const LANES = 8;

/**
 * `torch.linspace(start, end, steps, dtype=torch.float32)` on CPU (PyTorch 1.13, as used
 * to produce the diffusers fixtures).
 * @param start First value (rounded to float32 first, as PyTorch does).
 * @param end Last value (rounded to float32 first).
 * @param steps Number of values, >= 1.
 */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  // Evaluating from the start for the first half and from the end for the second keeps
  // both endpoints exact.
  const at = (idx: number): number => f32(idx < halfway ? s + step * idx : e - step * (steps - idx - 1));
  const vectorEnd = Math.floor(steps / (2 * LANES)) * 2 * LANES;
  let idx = 0;
  for (; idx < vectorEnd; idx += LANES) {
    const base = at(idx);
    for (let j = 0; j < LANES; j++) out[idx + j] = f32(base + j * step);
  }
  for (; idx < steps; idx++) out[idx] = at(idx);
  return out;
}

/** Element-wise `x ** 2` on a float32 tensor. */
export function squareFloat32(x: Float64Array): Float64Array {
  return x.map((v) => f32(v * v));
}

/** `1.0 - x` on a float32 tensor. */
export function oneMinusFloat32(x: Float64Array): Float64Array {
  return x.map((v) => f32(1 - v));
}

/**
 * `torch.cumprod(x, dim=0)` on a float32 CPU tensor: PyTorch accumulates in double and
 * rounds each output to float32.
 */
export function torchCumprodFloat32(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  let acc = 1;
  for (const [i, v] of x.entries()) {
    acc *= v;
    out[i] = f32(acc);
  }
  return out;
}
