import type { Rng } from '@yonos/core';

/**
 * One generator per sample: a fork of `rng` keyed by two fresh 32-bit draws from it, so the
 * parent advances on every call (repeated calls differ) while each sample's stream is
 * independent of what the other samples consume.
 */
export function forkPerSample(rng: Rng, count: number, tag: string): Rng[] {
  return Array.from({ length: count }, () => rng.fork(`${tag}:${rng.nextInt(0, 0xffffffff)}:${rng.nextInt(0, 0xffffffff)}`));
}
