import { type BlurKernel, checkKernelSize, normalizeKernel } from './kernel.js';

/** Shape parameters of a bivariate kernel (BasicSR's `sig_x`, `sig_y`, `theta`, `isotropic`). */
export interface BivariateParams {
  /** Standard deviation along the kernel's first principal axis, in pixels (> 0). */
  readonly sigmaX: number;
  /** Standard deviation along the second axis; ignored when `isotropic`. Default `sigmaX`. */
  readonly sigmaY?: number;
  /** Rotation of the principal axes in radians; ignored when `isotropic`. Default 0. */
  readonly theta?: number;
  /** Use `sigmaX` on both axes and no rotation. Default `true` (as in BasicSR). */
  readonly isotropic?: boolean;
}

/**
 * The inverse covariance `[a, b; b, d]` of `R diag(sx^2, sy^2) R^T`, `R` the rotation by
 * `theta` (BasicSR's `sigma_matrix2`, inverted in closed form).
 */
function inverseCovariance(p: BivariateParams): [number, number, number] {
  const isotropic = p.isotropic ?? true;
  const sx = p.sigmaX;
  const sy = isotropic ? sx : (p.sigmaY ?? sx);
  const theta = isotropic ? 0 : (p.theta ?? 0);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const ix = 1 / (sx * sx);
  const iy = 1 / (sy * sy);
  return [c * c * ix + s * s * iy, c * s * (ix - iy), s * s * ix + c * c * iy];
}

/**
 * Evaluates `f(q)` on the kernel grid, `q = g^T Sigma^-1 g` the squared Mahalanobis
 * distance of the offset `g = (x, y)` from the centre (`x` the column, `y` the row, as
 * numpy's `meshgrid` lays out BasicSR's grid), then normalizes.
 */
function radialKernel(size: number, p: BivariateParams, f: (q: number) => number, what: string): BlurKernel {
  checkKernelSize(size, what);
  const [a, b, d] = inverseCovariance(p);
  const half = (size - 1) / 2;
  const data = new Float64Array(size * size);
  for (let row = 0; row < size; row++) {
    const y = row - half;
    for (let col = 0; col < size; col++) {
      const x = col - half;
      data[row * size + col] = f(a * x * x + 2 * b * x * y + d * y * y);
    }
  }
  return normalizeKernel({ size, data });
}

/**
 * Bivariate Gaussian blur kernel, `exp(-q / 2)` normalized (BasicSR `bivariate_Gaussian`).
 * @param size Odd side length.
 * @returns A `size x size` kernel summing to 1.
 * @throws {@link DegradeError} if `size` is not a positive odd integer.
 */
export function bivariateGaussian(size: number, params: BivariateParams): BlurKernel {
  return radialKernel(size, params, (q) => Math.exp(-0.5 * q), 'bivariateGaussian');
}

/**
 * Bivariate generalized Gaussian kernel, `exp(-q^beta / 2)` normalized (BasicSR
 * `bivariate_generalized_Gaussian`): `beta = 1` is the Gaussian, larger is flatter-topped.
 * @param size Odd side length.
 * @param beta Shape parameter (> 0).
 */
export function bivariateGeneralizedGaussian(size: number, params: BivariateParams, beta: number): BlurKernel {
  return radialKernel(size, params, (q) => Math.exp(-0.5 * Math.pow(q, beta)), 'bivariateGeneralizedGaussian');
}

/**
 * Bivariate plateau kernel, `1 / (q^beta + 1)` normalized (BasicSR `bivariate_plateau`).
 * @param size Odd side length.
 * @param beta Shape parameter (> 0).
 */
export function bivariatePlateau(size: number, params: BivariateParams, beta: number): BlurKernel {
  return radialKernel(size, params, (q) => 1 / (Math.pow(q, beta) + 1), 'bivariatePlateau');
}
