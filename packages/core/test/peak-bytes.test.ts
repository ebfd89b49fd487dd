import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { trackPeakBytes, trackPeakBytesAsync, useBackend } from '../src/index.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const engineTrack = (): unknown => (tf.engine() as unknown as { trackTensor: unknown }).trackTensor;

describe('trackPeakBytes', () => {
  it('reports the peak of a call, intermediates included, and what it still holds', () => {
    const before = tf.memory().numTensors;
    // 1000 floats (4000 B) live beside a 2000-float intermediate (8000 B), then only the result.
    const { result, peak, held } = trackPeakBytes(() => {
      const big = tf.zeros([2000]);
      const out = tf.ones([1000]);
      big.dispose();
      return out;
    });
    expect(peak).toBe(12000);
    expect(held).toBe(4000);
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('counts nothing that existed before the call', () => {
    const outside = tf.zeros([5000]);
    const { result, peak, held } = trackPeakBytes(() => tf.ones([10]));
    expect([peak, held]).toEqual([40, 40]);
    tf.dispose([result, outside]);
  });

  it('restores the engine when the function throws, and rethrows', () => {
    const original = engineTrack();
    expect(() =>
      trackPeakBytes(() => {
        tf.zeros([4]).dispose();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(engineTrack()).toBe(original);
  });

  it('lets trackers nest and overlap, each with its own start', async () => {
    const original = engineTrack();
    let inner = 0;
    const outer = await trackPeakBytesAsync(async () => {
      const a = tf.zeros([100]); // 400 B, outer only
      const slow = trackPeakBytesAsync(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return tf.zeros([50]); // 200 B
      });
      const fast = trackPeakBytes(() => tf.zeros([25])); // 100 B, ends before `slow`
      inner = fast.peak;
      const s = await slow;
      expect(s.peak).toBe(300); // `fast`'s 100 B were allocated inside `slow`'s window
      tf.dispose([a, fast.result, s.result]);
      return 0;
    });
    expect(inner).toBe(100);
    expect(outer.peak).toBe(700);
    expect(outer.held).toBe(0);
    expect(engineTrack()).toBe(original);
  });
});
