import * as tf from '@tensorflow/tfjs-core';
import { Module, getActivation } from '@yonos/core/nn';
import type { ActivationFn, ActivationName } from '@yonos/core/nn';
import type { TINY_UPSAMPLE_MODES } from './tiny-config.js';

/** A layer of a {@link Sequential}: a module with an NHWC forward. */
export type SequentialLayer = Module & {
  /** Maps an NHWC float32 tensor to a new NHWC tensor. */
  forward(x: tf.Tensor4D): tf.Tensor4D;
};

/**
 * PyTorch's `nn.Sequential`: layers run in order and are named by index, parameter-free ones
 * (activations, upsampling) included, so parameter names keep PyTorch's gaps
 * (`conv.0.weight`, `conv.2.weight`, ...).
 */
export class Sequential extends Module {
  /** The layer at an index, as PyTorch indexes a `Sequential`. */
  readonly [index: number]: SequentialLayer;
  readonly #layers: SequentialLayer[];

  /** @param layers The layers in order, named `0`, `1`, ... */
  constructor(layers: readonly SequentialLayer[]) {
    super();
    this.#layers = [...layers];
    layers.forEach((layer, i) => {
      (this as unknown as Record<number, SequentialLayer>)[i] = layer;
    });
  }

  /** Number of layers. */
  get length(): number {
    return this.#layers.length;
  }

  /** The layers in order (a copy of the list). */
  layers(): SequentialLayer[] {
    return [...this.#layers];
  }

  /**
   * @param x NHWC input, float32.
   * @returns The last layer's output; a new tensor (a copy of `x` when empty).
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    let h = x;
    for (const layer of this.#layers) {
      const next = layer.forward(h);
      // Eager disposal keeps two activations alive; a gradient tape keeps what it needs anyway.
      if (h !== x) h.dispose();
      h = next;
    }
    return h === x ? (tf.clone(x) as tf.Tensor4D) : h;
  }
}

/** A parameter-free activation layer (PyTorch's `nn.ReLU()`, `nn.SiLU()`, ... in a `Sequential`). */
export class Activation extends Module {
  /** The diffusers activation name. */
  readonly name: ActivationName;
  readonly #fn: ActivationFn;

  /** @param name A diffusers activation name (`relu`, `silu`, `swish`, `mish`, `gelu`). */
  constructor(name: ActivationName) {
    super();
    this.name = name;
    this.#fn = getActivation(name);
  }

  /** @param x Any NHWC tensor. @returns The activation of `x`, a new tensor of its shape. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.#fn(x) as tf.Tensor4D;
  }
}

/** PyTorch's `nn.Upsample(scale_factor, mode)` with an integer scale and a nearest mode, on NHWC tensors. */
export class Upsample extends Module {
  /** Integer scale factor. */
  readonly scale_factor: number;
  /** Interpolation mode. */
  readonly mode: (typeof TINY_UPSAMPLE_MODES)[number];

  /**
   * @param scale_factor Positive integer.
   * @param mode `nearest` / `nearest-exact` (identical for an integer scale).
   */
  constructor(scale_factor: number, mode: (typeof TINY_UPSAMPLE_MODES)[number]) {
    super();
    this.scale_factor = scale_factor;
    this.mode = mode;
  }

  /**
   * @param x NHWC `[N, H, W, C]`, float32.
   * @returns NHWC `[N, s*H, s*W, C]`; a new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const size: [number, number] = [x.shape[1] * this.scale_factor, x.shape[2] * this.scale_factor];
    // With out = s * in, tfjs's legacy nearest rule floor(dst * in / out) is PyTorch's nearest
    // (and nearest-exact) pick.
    return tf.image.resizeNearestNeighbor(x, size, false, false);
  }
}
