import * as tf from '@tensorflow/tfjs-core';
import { checkLastDim, checkPositiveInt, checkRank } from './check.js';
import { NnArgumentError } from './errors.js';
import { torchDefaultBound, uniformInit } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/**
 * Zero padding of a {@link Conv2d}:
 * - a number `p`: `p` on all four sides (PyTorch's `padding=p`);
 * - `'valid'`: none; `'same'`: output size = input size (stride 1 only; an odd total goes to
 *   the bottom/right, as in PyTorch);
 * - explicit `[[top, bottom], [left, right]]`.
 */
export type Conv2dPadding = number | 'same' | 'valid' | readonly [readonly [number, number], readonly [number, number]];

/** Options of {@link Conv2d}. */
export interface Conv2dOptions {
  /** Stride, one number or `[sh, sw]` (default 1). */
  readonly stride?: number | readonly [number, number];
  /** Zero padding (default 0, as PyTorch). */
  readonly padding?: Conv2dPadding;
  /** Learn an additive bias (default `true`). */
  readonly bias?: boolean;
}

type Pads = [[number, number], [number, number]];

function pair(where: string, name: string, v: number | readonly [number, number]): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  checkPositiveInt(where, name, p[0]);
  checkPositiveInt(where, name, p[1]);
  return p;
}

/**
 * `torch.nn.Conv2d` on NHWC tensors. Parameters `weight` (native HWIO `[kh, kw, in, out]`,
 * torch OIHW `[out, in, kh, kw]`) and `bias` (`[out]`), PyTorch default init.
 */
export class Conv2d extends Module {
  /** Input channels. */
  readonly in_channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** `[kh, kw]`. */
  readonly kernel_size: readonly [number, number];
  /** `[sh, sw]`. */
  readonly stride: readonly [number, number];
  /** The padding as given. */
  readonly padding: Conv2dPadding;
  /** Native HWIO `[kh, kw, in_channels, out_channels]`. */
  readonly weight: Parameter;
  /** `[out_channels]`, or `null` without bias. */
  readonly bias: Parameter | null;
  readonly #pads: Pads;

  /**
   * @param kernel_size One number or `[kh, kw]`.
   * @throws {@link NnArgumentError} for non-positive sizes, negative padding, or `'same'` with stride > 1.
   */
  constructor(
    in_channels: number,
    out_channels: number,
    kernel_size: number | readonly [number, number],
    options: Conv2dOptions = {},
  ) {
    super();
    checkPositiveInt('Conv2d', 'in_channels', in_channels);
    checkPositiveInt('Conv2d', 'out_channels', out_channels);
    this.in_channels = in_channels;
    this.out_channels = out_channels;
    this.kernel_size = pair('Conv2d', 'kernel_size', kernel_size);
    this.stride = pair('Conv2d', 'stride', options.stride ?? 1);
    this.padding = options.padding ?? 0;
    this.#pads = resolvePadding(this.padding, this.kernel_size, this.stride);
    const [kh, kw] = this.kernel_size;
    const init = uniformInit(torchDefaultBound(in_channels * kh * kw));
    this.weight = new Parameter([kh, kw, in_channels, out_channels], { layout: 'conv2d', init });
    this.bias = options.bias === false ? null : new Parameter([out_channels], { init });
  }

  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @returns NHWC `[N, H', W', out_channels]` with `H' = floor((H + top + bottom - kh) / sh) + 1`
   *   (likewise W'); a new tensor.
   */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    checkRank('Conv2d', x, [4], 'NHWC');
    checkLastDim('Conv2d', x, this.in_channels);
    return tf.tidy(() => {
      const [[t, b], [l, r]] = this.#pads;
      const [kh, kw] = this.kernel_size;
      const [sh, sw] = this.stride;
      // tfjs sizes a numeric pad's output from the filter height and row stride alone (wrong
      // widths for non-square kernels or strides, and tfjs-wasm then writes past its output).
      const square = kh === kw && sh === sw;
      const pad: number | tf.backend_util.ExplicitPadding =
        square && t === b && b === l && l === r ? t : [[0, 0], [t, b], [l, r], [0, 0]];
      let y = tf.conv2d(x, this.weight.value as tf.Tensor4D, this.stride as [number, number], pad, 'NHWC');
      if (this.bias !== null) y = tf.add(y, this.bias.value);
      return y;
    });
  }
}

function resolvePadding(padding: Conv2dPadding, kernel: readonly [number, number], stride: readonly [number, number]): Pads {
  if (padding === 'valid') return [[0, 0], [0, 0]];
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new NnArgumentError("Conv2d: padding 'same' needs stride 1 (as in PyTorch); give explicit padding instead.");
    }
    const th = kernel[0] - 1;
    const tw = kernel[1] - 1;
    return [
      [Math.floor(th / 2), th - Math.floor(th / 2)],
      [Math.floor(tw / 2), tw - Math.floor(tw / 2)],
    ];
  }
  const pads: Pads =
    typeof padding === 'number'
      ? [
          [padding, padding],
          [padding, padding],
        ]
      : [
          [padding[0][0], padding[0][1]],
          [padding[1][0], padding[1][1]],
        ];
  if (!pads.flat().every((p) => Number.isInteger(p) && p >= 0)) {
    throw new NnArgumentError(`Conv2d: padding must be non-negative integers, got ${JSON.stringify(padding)}.`);
  }
  return pads;
}
