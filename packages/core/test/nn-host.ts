// Straightforward host-side (float64) reference implementations for the nn tests.
// Layouts are PyTorch's where a weight is involved, so they also check the layout conversion.

/** A dense float64 array with a shape, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

export function host(shape: number[], data: ArrayLike<number>): HostTensor {
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function zerosHost(shape: number[]): HostTensor {
  return { shape: [...shape], data: new Float64Array(shape.reduce((a, b) => a * b, 1)) };
}

/** NHWC conv with an OIHW weight, zero padding [[top, bottom], [left, right]], stride [sh, sw]. */
export function conv2dHost(
  x: HostTensor,
  weightOIHW: HostTensor,
  bias: HostTensor | null,
  stride: [number, number],
  pads: [[number, number], [number, number]],
): HostTensor {
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const [cout, cin2, kh, kw] = weightOIHW.shape as [number, number, number, number];
  if (cin !== cin2) throw new Error('channel mismatch');
  const [[pt, pb], [pl, pr]] = pads;
  const ho = Math.floor((h + pt + pb - kh) / stride[0]) + 1;
  const wo = Math.floor((w + pl + pr - kw) / stride[1]) + 1;
  const out = zerosHost([n, ho, wo, cout]);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let o = 0; o < cout; o++) {
          let acc = bias ? bias.data[o]! : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * stride[0] + ky - pt;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * stride[1] + kx - pl;
              if (ix < 0 || ix >= w) continue;
              for (let i = 0; i < cin; i++) {
                acc += x.data[((b * h + iy) * w + ix) * cin + i]! * weightOIHW.data[((o * cin + i) * kh + ky) * kw + kx]!;
              }
            }
          }
          out.data[((b * ho + oy) * wo + ox) * cout + o] = acc;
        }
  return out;
}

/** y = x W^T + b with a PyTorch [out, in] weight; x is [..., in]. */
export function linearHost(x: HostTensor, weightOI: HostTensor, bias: HostTensor | null): HostTensor {
  const [out, inn] = weightOI.shape as [number, number];
  const rows = x.data.length / inn;
  const y = zerosHost([...x.shape.slice(0, -1), out]);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < out; o++) {
      let acc = bias ? bias.data[o]! : 0;
      for (let i = 0; i < inn; i++) acc += x.data[r * inn + i]! * weightOI.data[o * inn + i]!;
      y.data[r * out + o] = acc;
    }
  return y;
}

/** GroupNorm of a channels-last [N, ..., C] tensor by explicit loops over samples and groups. */
export function groupNormHost(
  x: HostTensor,
  groups: number,
  eps: number,
  weight: HostTensor | null,
  bias: HostTensor | null,
): HostTensor {
  const n = x.shape[0]!;
  const c = x.shape[x.shape.length - 1]!;
  const positions = x.data.length / n / c;
  const per = c / groups;
  const y = zerosHost(x.shape);
  for (let b = 0; b < n; b++)
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let p = 0; p < positions; p++)
        for (let j = 0; j < per; j++) idx.push((b * positions + p) * c + g * per + j);
      const mean = idx.reduce((a, i) => a + x.data[i]!, 0) / idx.length;
      const variance = idx.reduce((a, i) => a + (x.data[i]! - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const ch = i % c;
        const v = (x.data[i]! - mean) / Math.sqrt(variance + eps);
        y.data[i] = v * (weight ? weight.data[ch]! : 1) + (bias ? bias.data[ch]! : 0);
      }
    }
  return y;
}

/** LayerNorm over the last dimension. */
export function layerNormHost(x: HostTensor, eps: number, weight: HostTensor | null, bias: HostTensor | null): HostTensor {
  const c = x.shape[x.shape.length - 1]!;
  const y = zerosHost(x.shape);
  for (let r = 0; r < x.data.length / c; r++) {
    const row = x.data.subarray(r * c, (r + 1) * c);
    const mean = row.reduce((a, v) => a + v, 0) / c;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / c;
    for (let j = 0; j < c; j++) {
      y.data[r * c + j] = ((row[j]! - mean) / Math.sqrt(variance + eps)) * (weight ? weight.data[j]! : 1) + (bias ? bias.data[j]! : 0);
    }
  }
  return y;
}

/** erf by its Maclaurin series (|x| < 3) or continued fraction, to ~1e-15. */
export function erfHost(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let k = 1; k < 200; k++) {
      term *= (-ax * ax) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for the tail.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export const siluHost = (v: number): number => v / (1 + Math.exp(-v));
export const geluHost = (v: number): number => 0.5 * v * (1 + erfHost(v / Math.SQRT2));
export const geluTanhHost = (v: number): number =>
  0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

export function mapHost(x: HostTensor, f: (v: number) => number): HostTensor {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export function addHost(a: HostTensor, b: HostTensor): HostTensor {
  return { shape: [...a.shape], data: a.data.map((v, i) => v + b.data[i]!) };
}

/**
 * Multi-head attention for one batch: q [L, H*d], k/v [S, H*d]; softmax(q k^T * scale) v per head.
 */
export function attentionHost(q: HostTensor, k: HostTensor, v: HostTensor, heads: number, scale: number): HostTensor {
  const [n, l, inner] = q.shape as [number, number, number];
  const s = k.shape[1]!;
  const d = inner / heads;
  const out = zerosHost([n, l, inner]);
  for (let b = 0; b < n; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < l; i++) {
        const scores = new Float64Array(s);
        for (let j = 0; j < s; j++) {
          let acc = 0;
          for (let t = 0; t < d; t++) acc += q.data[(b * l + i) * inner + h * d + t]! * k.data[(b * s + j) * inner + h * d + t]!;
          scores[j] = acc * scale;
        }
        const max = Math.max(...scores);
        const exps = scores.map((z) => Math.exp(z - max));
        const total = exps.reduce((a, z) => a + z, 0);
        for (let t = 0; t < d; t++) {
          let acc = 0;
          for (let j = 0; j < s; j++) acc += (exps[j]! / total) * v.data[(b * s + j) * inner + h * d + t]!;
          out.data[(b * l + i) * inner + h * d + t] = acc;
        }
      }
  return out;
}

/** Nearest-neighbour resize of NHWC with PyTorch's legacy rule src = floor(dst * in / out). */
export function nearestHost(x: HostTensor, oh: number, ow: number): HostTensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const y = zerosHost([n, oh, ow, c]);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const si = Math.min(Math.floor((i * h) / oh), h - 1);
        const sj = Math.min(Math.floor((j * w) / ow), w - 1);
        for (let ch = 0; ch < c; ch++) y.data[((b * oh + i) * ow + j) * c + ch] = x.data[((b * h + si) * w + sj) * c + ch]!;
      }
  return y;
}

/** Largest |a - b| / (max |b| over the tensor), a scale-aware error measure. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

/** Largest |a - b|. */
export function absError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
  return maxDiff;
}
