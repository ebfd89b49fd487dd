import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './use-backend.js';
import type { BackendName } from './types.js';

/** The convolution {@link measureConvThroughput} times: NHWC input, 3x3 'same', stride 1 by default. */
export interface ConvBenchShape {
  /** Batch size. */
  readonly batch: number;
  /** Height and width of the square input, in pixels. */
  readonly size: number;
  /** Input channels (the last axis of the NHWC input). */
  readonly inChannels: number;
  /** Output channels (filters). */
  readonly outChannels: number;
  /** Square kernel size (default 3). */
  readonly kernel?: number;
}

/** Result of {@link measureConvThroughput}. */
export interface ConvThroughput {
  /** The tfjs backend that ran the convolutions (`tf.getBackend()`). */
  readonly backend: string;
  /** The measured convolution, defaults filled in. */
  readonly shape: Required<ConvBenchShape>;
  /** Multiply-adds counted as 2 FLOPs. */
  readonly gflops: number;
  /** Median milliseconds of one conv2d, data read back included. */
  readonly msPerConv: number;
  /** Timed runs the median was taken over (warm-up excluded). */
  readonly iterations: number;
}

/** FLOPs of one stride-1 'same' NHWC conv2d (each multiply-add counted as 2). */
export function convFlops(s: Required<ConvBenchShape>): number {
  return 2 * s.batch * s.size * s.size * s.outChannels * s.kernel * s.kernel * s.inChannels;
}

/**
 * Raw forward `conv2d` throughput of a backend, in GFLOP/s: a yardstick that benchmarks print
 * next to their own numbers. Runs one warm-up, then repeats until `minMs` have passed (at
 * least 3 runs) and reports the median. Inputs are deterministic; no tensor outlives the call.
 * @param backend Switch to this backend first (with {@link useBackend}) and back afterwards;
 *   default: the active backend.
 * @param shape Default `{ batch: 8, size: 32, inChannels: 64, outChannels: 64, kernel: 3 }`.
 * @param minMs Minimum timed duration (default 1000).
 */
export async function measureConvThroughput(
  backend?: BackendName,
  shape: ConvBenchShape = { batch: 8, size: 32, inChannels: 64, outChannels: 64 },
  minMs = 1000,
): Promise<ConvThroughput> {
  const previous = tf.engine().backendName;
  if (backend !== undefined && backend !== previous) await useBackend(backend);
  const s: Required<ConvBenchShape> = { kernel: 3, ...shape };
  const x: tf.Tensor4D = tf.tidy(() =>
    tf.reshape(tf.sin(tf.range(0, s.batch * s.size * s.size * s.inChannels)), [s.batch, s.size, s.size, s.inChannels]),
  );
  const w: tf.Tensor4D = tf.tidy(() =>
    tf.reshape(tf.mul(tf.cos(tf.range(0, s.kernel * s.kernel * s.inChannels * s.outChannels)), 0.05), [
      s.kernel,
      s.kernel,
      s.inChannels,
      s.outChannels,
    ]),
  );
  try {
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      const y = tf.conv2d(x, w, 1, 'same');
      await y.data();
      y.dispose();
      return performance.now() - t0;
    };
    await once();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 3 || performance.now() - start < minMs) times.push(await once());
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
    return {
      backend: tf.getBackend(),
      shape: s,
      gflops: convFlops(s) / (median * 1e6),
      msPerConv: median,
      iterations: times.length,
    };
  } finally {
    x.dispose();
    w.dispose();
    if (backend !== undefined && previous !== null && previous !== undefined && previous !== backend) {
      await tf.setBackend(previous);
    }
  }
}
