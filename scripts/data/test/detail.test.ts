import { describe, expect, it } from 'vitest';
import { meanGradient } from '../lib/detail.js';

function rgb(width: number, height: number, value: (x: number, y: number) => number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(value(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return data;
}

describe('meanGradient', () => {
  it('is 0 on a flat image', () => {
    expect(meanGradient(rgb(16, 16, () => 77), 16, 16)).toBe(0);
  });

  it('measures |dx| + |dy| of gray stripes and checkerboards', () => {
    // Gray pixels (R = G = B) have luma equal to their value: 0.299 + 0.587 + 0.114 = 1.
    expect(meanGradient(rgb(16, 16, (x) => (x % 2) * 200), 16, 16)).toBeCloseTo(200, 3);
    expect(meanGradient(rgb(16, 16, (x, y) => ((x + y) % 2) * 100), 16, 16)).toBeCloseTo(200, 3);
    expect(meanGradient(rgb(16, 16, (_x, y) => y * 3), 16, 16)).toBeCloseTo(3, 3);
  });
});
