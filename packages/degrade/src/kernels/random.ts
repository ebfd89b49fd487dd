import type { Rng } from '@yonos/core';
import { check } from '../errors.js';
import { bivariateGaussian, bivariateGeneralizedGaussian, bivariatePlateau } from './bivariate.js';
import type { BivariateParams } from './bivariate.js';
import { type BlurKernel, checkKernelSize, normalizeKernel, padKernel, pulseKernel } from './kernel.js';
import { circularLowpassKernel } from './sinc.js';

/** The kernel families of BasicSR's `random_mixed_kernels`. */
export type MixedKernelType = 'iso' | 'aniso' | 'generalized_iso' | 'generalized_aniso' | 'plateau_iso' | 'plateau_aniso';

/** What a random kernel turned out to be, with the parameters drawn for it. */
export interface SampledKernel extends BlurKernel {
  /** The family drawn: a mixed type, `'sinc'` (circular low-pass) or `'pulse'` (identity). */
  readonly type: MixedKernelType | 'sinc' | 'pulse';
  /** Size before padding. */
  readonly baseSize: number;
  /** Sigmas and rotation (bivariate families only). */
  readonly params?: Required<BivariateParams>;
  /** Shape parameter (generalized and plateau families only). */
  readonly beta?: number;
  /** Cutoff in radians (sinc only). */
  readonly cutoff?: number;
}

/** A closed range `[min, max]` to draw uniformly from. */
export type ValueRange = readonly [number, number];

/**
 * Options of {@link randomMixedKernels}. Defaults are Real-ESRGAN's first-degradation
 * settings (`options/train_realesrgan_x4plus.yml`), not BasicSR's function defaults.
 */
export interface MixedKernelOptions {
  /** Families to choose from. Default all six, in {@link MIXED_KERNEL_TYPES} order. */
  readonly kernelList?: readonly MixedKernelType[];
  /** Relative weights of `kernelList` (need not sum to 1). Default `[0.45, 0.25, 0.12, 0.03, 0.12, 0.03]`. */
  readonly kernelProb?: readonly number[];
  /** Odd side length. Default 21. */
  readonly kernelSize?: number;
  /** Range of `sigmaX` in pixels. Default `[0.2, 3]`. */
  readonly sigmaXRange?: ValueRange;
  /** Range of `sigmaY` (anisotropic families). Default `[0.2, 3]`. */
  readonly sigmaYRange?: ValueRange;
  /** Range of the rotation in radians (anisotropic families). Default `[-pi, pi]`. */
  readonly rotationRange?: ValueRange;
  /** `beta` range of the generalized Gaussian. Default `[0.5, 4]`. */
  readonly betagRange?: ValueRange;
  /** `beta` range of the plateau kernel. Default `[1, 2]`. */
  readonly betapRange?: ValueRange;
  /**
   * Multiplicative per-weight noise range, applied (then renormalized) to Gaussian and
   * generalized kernels; like BasicSR, never to plateau kernels. Default none.
   */
  readonly noiseRange?: ValueRange | null;
}

/** The six families in Real-ESRGAN's order. */
export const MIXED_KERNEL_TYPES: readonly MixedKernelType[] = ['iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso'];

/** Real-ESRGAN's family probabilities, in {@link MIXED_KERNEL_TYPES} order. */
export const REALESRGAN_KERNEL_PROB: readonly number[] = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03];

/** Real-ESRGAN's kernel sizes: the odd numbers 7..21. */
export const REALESRGAN_KERNEL_SIZES: readonly number[] = [7, 9, 11, 13, 15, 17, 19, 21];

/** `numpy.random.uniform(min, max)` from one host draw. */
export function uniformIn(rng: Rng, range: ValueRange): number {
  return range[0] + (range[1] - range[0]) * rng.nextFloat();
}

function checkRange(range: ValueRange, name: string): void {
  check(range.length === 2 && Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] <= range[1], () => `${name} must be [min, max] with min <= max, got [${range.join(', ')}].`);
}

/**
 * Index drawn with probability proportional to `weights`, as Python's
 * `random.choices(population, weights)` picks it (one uniform, cumulative weights, bisect right).
 */
export function weightedChoice(rng: Rng, weights: readonly number[]): number {
  check(weights.length > 0 && weights.every((w) => Number.isFinite(w) && w >= 0), () => `weights must be non-negative numbers, got [${weights.join(', ')}].`);
  const total = weights.reduce((a, b) => a + b, 0);
  check(total > 0, () => 'weights must not all be zero.');
  const r = rng.nextFloat() * total;
  let cumulative = 0;
  for (let i = 0; i < weights.length - 1; i++) {
    cumulative += weights[i]!;
    if (r < cumulative) {
      return i;
    }
  }
  return weights.length - 1;
}

/** `beta` as BasicSR draws it: half the time below 1, half the time above. */
function drawBeta(rng: Rng, range: ValueRange): number {
  return rng.nextFloat() < 0.5 ? uniformIn(rng, [range[0], 1]) : uniformIn(rng, [1, range[1]]);
}

function applyMultiplicativeNoise(rng: Rng, kernel: BlurKernel, range: ValueRange): BlurKernel {
  for (const [i, v] of kernel.data.entries()) {
    kernel.data[i] = v * uniformIn(rng, range);
  }
  return normalizeKernel(kernel);
}

/**
 * One random blur kernel from a mixture of bivariate families, BasicSR's
 * `random_mixed_kernels` with its draw order: the family, `sigmaX`, then (anisotropic)
 * `sigmaY` and rotation, then (generalized/plateau) `beta`, then the optional noise. Every
 * draw comes from `rng.nextFloat()`, so a seed reproduces the kernel.
 *
 * @returns A kernel of side `kernelSize` summing to 1, with the family and parameters drawn.
 * @throws {@link DegradeError} on inconsistent options.
 */
export function randomMixedKernels(rng: Rng, options: MixedKernelOptions = {}): SampledKernel {
  const list = options.kernelList ?? MIXED_KERNEL_TYPES;
  const prob = options.kernelProb ?? (options.kernelList === undefined ? REALESRGAN_KERNEL_PROB : undefined);
  check(prob !== undefined && prob.length === list.length, () => `randomMixedKernels: kernelProb must have one weight per kernelList entry (${list.length}).`);
  const size = options.kernelSize ?? 21;
  checkKernelSize(size, 'randomMixedKernels');
  const sigmaXRange = options.sigmaXRange ?? [0.2, 3];
  const sigmaYRange = options.sigmaYRange ?? [0.2, 3];
  const rotationRange = options.rotationRange ?? [-Math.PI, Math.PI];
  const betagRange = options.betagRange ?? [0.5, 4];
  const betapRange = options.betapRange ?? [1, 2];
  const noiseRange = options.noiseRange ?? null;
  for (const [r, name] of [[sigmaXRange, 'sigmaXRange'], [sigmaYRange, 'sigmaYRange'], [rotationRange, 'rotationRange'], [betagRange, 'betagRange'], [betapRange, 'betapRange']] as const) {
    checkRange(r, `randomMixedKernels: ${name}`);
  }
  if (noiseRange !== null) {
    checkRange(noiseRange, 'randomMixedKernels: noiseRange');
  }

  const type = list[weightedChoice(rng, prob)]!;
  const isotropic = type.endsWith('_iso') || type === 'iso';
  const sigmaX = uniformIn(rng, sigmaXRange);
  let sigmaY = sigmaX;
  let theta = 0;
  if (!isotropic) {
    sigmaY = uniformIn(rng, sigmaYRange);
    theta = uniformIn(rng, rotationRange);
  }
  const params = { sigmaX, sigmaY, theta, isotropic };
  let kernel: BlurKernel;
  let beta: number | undefined;
  if (type === 'iso' || type === 'aniso') {
    kernel = bivariateGaussian(size, params);
  } else if (type === 'generalized_iso' || type === 'generalized_aniso') {
    beta = drawBeta(rng, betagRange);
    kernel = bivariateGeneralizedGaussian(size, params, beta);
  } else {
    beta = drawBeta(rng, betapRange);
    kernel = bivariatePlateau(size, params, beta);
  }
  if (noiseRange !== null && !type.startsWith('plateau')) {
    kernel = applyMultiplicativeNoise(rng, kernel, noiseRange);
  }
  return { ...kernel, type, baseSize: size, params, ...(beta === undefined ? {} : { beta }) };
}

/** Options of {@link randomBlurKernel}: the mixed-kernel options plus Real-ESRGAN's size and sinc choice. */
export interface BlurKernelOptions extends Omit<MixedKernelOptions, 'kernelSize'> {
  /** Sizes to choose from uniformly. Default 7, 9, ..., 21. */
  readonly kernelSizes?: readonly number[];
  /** Probability of a circular low-pass (sinc) kernel instead of a mixed one. Default 0.1. */
  readonly sincProb?: number;
  /** Odd size every kernel is zero-padded to. Default 21. */
  readonly padTo?: number;
}

function drawSize(rng: Rng, sizes: readonly number[], what: string): number {
  check(sizes.length > 0, () => `${what}: kernelSizes must not be empty.`);
  const size = sizes[rng.nextInt(0, sizes.length - 1)]!;
  checkKernelSize(size, what);
  return size;
}

/**
 * One blur kernel as Real-ESRGAN's dataset draws `kernel1`/`kernel2`: a random size, then
 * with probability `sincProb` a sinc kernel (cutoff uniform in `[pi/3, pi]` for sizes < 13,
 * `[pi/5, pi]` otherwise), else {@link randomMixedKernels}; zero-padded to `padTo`.
 * For the second degradation pass `sigmaXRange`/`sigmaYRange` `[0.2, 1.5]`.
 */
export function randomBlurKernel(rng: Rng, options: BlurKernelOptions = {}): SampledKernel {
  const padTo = options.padTo ?? 21;
  const size = drawSize(rng, options.kernelSizes ?? REALESRGAN_KERNEL_SIZES, 'randomBlurKernel');
  check(padTo >= size, () => `randomBlurKernel: padTo (${padTo}) must be at least the largest kernel size (${size}).`);
  let sampled: SampledKernel;
  if (rng.nextFloat() < (options.sincProb ?? 0.1)) {
    const cutoff = uniformIn(rng, size < 13 ? [Math.PI / 3, Math.PI] : [Math.PI / 5, Math.PI]);
    sampled = { ...circularLowpassKernel(cutoff, size), type: 'sinc', baseSize: size, cutoff };
  } else {
    sampled = randomMixedKernels(rng, { ...options, kernelSize: size });
  }
  return { ...sampled, ...padKernel(sampled, padTo) };
}

/** Options of {@link randomFinalSincKernel}. */
export interface FinalSincOptions {
  /** Probability of a sinc kernel (else the identity pulse). Default 0.8. */
  readonly finalSincProb?: number;
  /** Sizes to choose from uniformly. Default 7, 9, ..., 21. */
  readonly kernelSizes?: readonly number[];
  /** Odd output size. Default 21. */
  readonly padTo?: number;
}

/**
 * Real-ESRGAN's final sinc kernel: with probability `finalSincProb` a circular low-pass
 * kernel (random size, cutoff uniform in `[pi/3, pi]`), otherwise the identity pulse;
 * `padTo x padTo` either way.
 */
export function randomFinalSincKernel(rng: Rng, options: FinalSincOptions = {}): SampledKernel {
  const padTo = options.padTo ?? 21;
  if (rng.nextFloat() < (options.finalSincProb ?? 0.8)) {
    const size = drawSize(rng, options.kernelSizes ?? REALESRGAN_KERNEL_SIZES, 'randomFinalSincKernel');
    check(padTo >= size, () => `randomFinalSincKernel: padTo (${padTo}) must be at least the kernel size (${size}).`);
    const cutoff = uniformIn(rng, [Math.PI / 3, Math.PI]);
    return { ...circularLowpassKernel(cutoff, size, padTo), type: 'sinc', baseSize: size, cutoff };
  }
  return { ...pulseKernel(padTo), type: 'pulse', baseSize: padTo };
}
