/**
 * The few numpy semantics diffusers' `set_timesteps` relies on, reproduced exactly so the
 * integer timesteps agree (they are array indices: off by one is a different model input).
 * @internal
 */

/** `np.round` / `ndarray.round()`: round half to even (banker's rounding), unlike `Math.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends every .5 up; numpy sends it to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `np.arange(start, stop, step)` with a float step: length `ceil((stop - start) / step)`,
 * values `start + i * delta` where `delta = (start + step) - start` (numpy's fill rule).
 */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length === 0) return [];
  const out = [start];
  if (length === 1) return out;
  const delta = start + step - start;
  for (let i = 1; i < length; i++) out.push(start + i * delta);
  return out;
}

/** `np.linspace(start, stop, num)` (endpoint included; `num === 1` gives `[start]`). */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}
