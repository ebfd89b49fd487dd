import { describe, expect, it } from 'vitest';
import { besselJ1, bivariateGaussian, bivariateGeneralizedGaussian, bivariatePlateau, circularLowpassKernel, DegradeError } from '../src/index.js';
import { padKernel } from '../src/kernels/kernel.js';
import type { BlurKernel } from '../src/index.js';
import { degradeJson, fixture, maxAbsDiff } from './helpers/fixtures.js';

function build(spec: Record<string, number | string | boolean>): BlurKernel {
  const size = spec['kernel_size'] as number;
  if (spec['kind'] === 'sinc') {
    return circularLowpassKernel(spec['cutoff'] as number, size, spec['pad_to'] as number);
  }
  const params = {
    sigmaX: spec['sig_x'] as number,
    sigmaY: spec['sig_y'] as number,
    theta: spec['theta'] as number,
    isotropic: spec['isotropic'] as boolean,
  };
  const beta = spec['beta'] as number;
  switch (spec['kind']) {
    case 'gaussian':
      return bivariateGaussian(size, params);
    case 'generalized':
      return bivariateGeneralizedGaussian(size, params, beta);
    case 'plateau':
      return bivariatePlateau(size, params, beta);
    default:
      throw new Error(`unknown kind ${String(spec['kind'])}`);
  }
}

describe('blur kernels', () => {
  const specs = degradeJson().kernels;
  it('covers every kernel fixture', () => {
    expect(specs.length).toBe(15);
  });
  for (const spec of specs) {
    it(`matches ${String(spec['key'])} to 1e-6`, () => {
      const expected = fixture(spec['key'] as string);
      const kernel = build(spec);
      expect([kernel.size, kernel.size]).toEqual(expected.shape);
      const err = maxAbsDiff(kernel.data, expected.data);
      console.log(`${String(spec['key'])}: max abs error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-6);
      expect(Math.abs(kernel.data.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    });
  }

  it('J1 agrees with tabulated values and its first zeros', () => {
    // Reference values: scipy.special.j1 / Abramowitz & Stegun table 9.1; zeros j_{1,1}, j_{1,2}, j_{1,10} (DLMF 10.21).
    expect(besselJ1(0)).toBe(0);
    expect(Math.abs(besselJ1(1) - 0.4400505857449335)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(2.5) - 0.4970941024642741)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(10) - 0.04347274616886144)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(-3) + 0.3390589585259365)).toBeLessThan(1e-15);
    // Either side of the switch from the power series to the integral, and the far end of 21x21 sinc kernels.
    expect(Math.abs(besselJ1(1.5) - 0.5579365079100997)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(1.999999) - 0.5767248722282979)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(2) - 0.5767248077568734)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(44) + 0.08280335937602906)).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(3.8317059702075125))).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(7.015586669815619))).toBeLessThan(1e-15);
    expect(Math.abs(besselJ1(32.18967991097441))).toBeLessThan(1e-14);
    // Small-argument series J1(x) = x/2 - x^3/16 + x^5/384.
    const x = 1e-3;
    expect(Math.abs(besselJ1(x) - (x / 2 - x ** 3 / 16 + x ** 5 / 384))).toBeLessThan(1e-18);
  });

  it('isotropic kernels ignore sigmaY and theta; rotation by pi/2 swaps the axes', () => {
    const iso = bivariateGaussian(9, { sigmaX: 1.3, sigmaY: 4, theta: 0.3, isotropic: true });
    const ref = bivariateGaussian(9, { sigmaX: 1.3, sigmaY: 1.3, theta: 0, isotropic: false });
    expect(maxAbsDiff(iso.data, ref.data)).toBeLessThan(1e-15);
    const a = bivariatePlateau(9, { sigmaX: 2, sigmaY: 0.7, theta: Math.PI / 2, isotropic: false }, 1.5);
    const b = bivariatePlateau(9, { sigmaX: 0.7, sigmaY: 2, theta: 0, isotropic: false }, 1.5);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-12);
  });

  it('pads symmetrically and rejects even sizes', () => {
    const k = padKernel(bivariateGaussian(3, { sigmaX: 1 }), 7);
    expect(k.size).toBe(7);
    expect(k.data[2 * 7 + 2]).toBe(bivariateGaussian(3, { sigmaX: 1 }).data[0]);
    expect(() => bivariateGaussian(8, { sigmaX: 1 })).toThrow(DegradeError);
    expect(() => circularLowpassKernel(1, 6)).toThrow(DegradeError);
    expect(() => padKernel(k, 8)).toThrow(DegradeError);
  });
});
