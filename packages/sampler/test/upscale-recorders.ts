import * as tf from '@tensorflow/tfjs-core';
import type { Denoiser, DenoiserForwardOptions, DenoiserMemory, DenoiserMemoryOptions, LatentCodec, LatentCodecMemory, LatentPosterior, MemoryEstimateOptions, SpatialShape } from '@yonos/core';

/** One recorded U-Net call, read back to the host. */
export interface RecordedForward {
  readonly input: Float32Array;
  readonly inputShape: readonly number[];
  readonly timestep: number | tf.Tensor1D;
  readonly context: Float32Array | undefined;
  readonly classLabels: unknown;
  readonly output: Float32Array;
}

/** A copy of a tensor that survives `tf.tidy`, read back later with {@link readKept} (webgpu has no sync reads in Node). */
function kept(x: tf.Tensor): tf.Tensor {
  return tf.keep(tf.clone(x));
}

/** Reads kept copies back asynchronously and disposes them. */
export async function readKept(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const t of tensors) {
    out.push((await t.data()) as Float32Array);
    t.dispose();
  }
  return out;
}

interface PendingForward {
  readonly input: tf.Tensor;
  readonly timestep: number | tf.Tensor1D;
  readonly context: tf.Tensor | undefined;
  readonly classLabels: unknown;
  readonly output: tf.Tensor;
}

/**
 * A Denoiser that forwards to another and records every call (copies of its inputs and
 * outputs, read back by {@link RecordingDenoiser.collect}), so a test can compare a pipeline's
 * intermediate tensors with a reference run's.
 */
export class RecordingDenoiser implements Denoiser {
  readonly pending: PendingForward[] = [];
  readonly inChannels: number;
  readonly outChannels: number;
  readonly crossAttentionDim: number | undefined;
  readonly classConditioning: Denoiser['classConditioning'];
  readonly downsampleFactor: number;
  readonly config: unknown;

  constructor(readonly inner: Denoiser) {
    this.inChannels = inner.inChannels;
    this.outChannels = inner.outChannels;
    this.crossAttentionDim = inner.crossAttentionDim;
    this.classConditioning = inner.classConditioning;
    this.downsampleFactor = inner.downsampleFactor;
    this.config = (inner as { config?: unknown }).config;
  }

  estimateMemory(sample: SpatialShape, options?: DenoiserMemoryOptions): DenoiserMemory {
    return this.inner.estimateMemory(sample, options);
  }

  forward(sample: tf.Tensor4D, timestep: number | tf.Tensor1D, encoderHiddenStates?: tf.Tensor3D, options?: DenoiserForwardOptions): tf.Tensor4D {
    const output = this.inner.forward(sample, timestep, encoderHiddenStates, options);
    const labels = options?.classLabels;
    this.pending.push({
      input: kept(sample),
      timestep,
      context: encoderHiddenStates !== undefined ? kept(encoderHiddenStates) : undefined,
      classLabels: labels instanceof tf.Tensor ? kept(labels) : labels,
      output: kept(output),
    });
    return output;
  }

  /** The calls since the last collect, read back; their copies are disposed. */
  async collect(): Promise<RecordedForward[]> {
    const calls: RecordedForward[] = [];
    for (const p of this.pending.splice(0)) {
      const [input, output] = await readKept([p.input, p.output]);
      const context = p.context !== undefined ? (await readKept([p.context]))[0] : undefined;
      const classLabels = p.classLabels instanceof tf.Tensor ? Array.from((await readKept([p.classLabels]))[0]!) : p.classLabels;
      calls.push({ input: input!, inputShape: [...p.input.shape], timestep: p.timestep, context, classLabels, output: output! });
    }
    return calls;
  }

  dispose(): void {
    (this.inner as { dispose?: () => void }).dispose?.();
  }
}

/** A LatentCodec that forwards to another and records every decode (input and output read back). */
export class RecordingCodec implements LatentCodec {
  readonly pending: Array<{ input: tf.Tensor; output: tf.Tensor }> = [];
  readonly latentChannels: number;
  readonly downsampleFactor: number;
  readonly scalingFactor: number;
  readonly shiftFactor: number;

  constructor(readonly inner: LatentCodec) {
    this.latentChannels = inner.latentChannels;
    this.downsampleFactor = inner.downsampleFactor;
    this.scalingFactor = inner.scalingFactor;
    this.shiftFactor = inner.shiftFactor;
  }

  encode(image: tf.Tensor4D): LatentPosterior {
    return this.inner.encode(image);
  }

  estimateMemory(image: SpatialShape, options?: MemoryEstimateOptions): LatentCodecMemory {
    return this.inner.estimateMemory(image, options);
  }

  decode(latent: tf.Tensor4D): tf.Tensor4D {
    const output = this.inner.decode(latent);
    this.pending.push({ input: kept(latent), output: kept(output) });
    return output;
  }

  /** The decodes since the last collect, read back; their copies are disposed. */
  async collect(): Promise<Array<{ input: Float32Array; output: Float32Array; outputShape: readonly number[] }>> {
    const decodes = [];
    for (const p of this.pending.splice(0)) {
      const shape = [...p.output.shape];
      const [input, output] = await readKept([p.input, p.output]);
      decodes.push({ input: input!, output: output!, outputShape: shape });
    }
    return decodes;
  }

  dispose(): void {
    (this.inner as { dispose?: () => void }).dispose?.();
  }
}
