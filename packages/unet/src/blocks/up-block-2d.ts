import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, Upsample2D } from '@yonos/core/nn';
import type { ResnetBlock2D } from '@yonos/core/nn';
import { makeResnet } from './resnet.js';
import { concatSkip } from './skip.js';
import type { ResnetSettings, UNetUpBlock } from './types.js';

/** Options of {@link UpBlock2D}, with diffusers' argument names. */
export interface UpBlock2DOptions {
  /** Skip width of the last ResNet (the level's input channels on the down path). */
  readonly in_channels: number;
  /** Channels coming from the deeper block. */
  readonly prev_output_channel: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNets (default 1); down blocks of the same level have one fewer. */
  readonly num_layers?: number;
  /** End with nearest x2 + 3x3 conv `upsamplers.0.conv` (default `true`). */
  readonly add_upsample?: boolean;
  /** Shared ResNet settings. */
  readonly resnet: ResnetSettings;
}

/** ResNet `i` of an up block takes the running channels plus one skip tensor. */
export function upResnetChannels(o: UpBlock2DOptions, i: number, numLayers: number): number {
  const skip = i === numLayers - 1 ? o.in_channels : o.out_channels;
  const running = i === 0 ? o.prev_output_channel : o.out_channels;
  return running + skip;
}

/** diffusers' `UpBlock2D`: ResNets on `[x, skip]` concatenations, then an optional x2 upsampler. */
export class UpBlock2D extends Module implements UNetUpBlock {
  /** Never uses a context. */
  readonly has_cross_attention = false;
  /** `num_layers` ResNets. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Upsample2D(conv)]`, or `null`. */
  readonly upsamplers: ModuleList<Upsample2D> | null;

  constructor(options: UpBlock2DOptions) {
    super();
    const o = options;
    const n = o.num_layers ?? 1;
    const resnets: ResnetBlock2D[] = [];
    for (let i = 0; i < n; i++) resnets.push(makeResnet(o.resnet, upResnetChannels(o, i, n), o.out_channels));
    this.resnets = new ModuleList(resnets);
    this.upsamplers =
      (o.add_upsample ?? true)
        ? new ModuleList([new Upsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels })])
        : null;
  }

  /** See {@link UNetUpBlock.forward}; `context` is ignored. */
  forward(
    x: tf.Tensor4D,
    skips: readonly tf.Tensor4D[],
    temb: tf.Tensor2D,
    _context?: tf.Tensor3D,
    upsampleSize?: readonly [number, number],
  ): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      let k = skips.length;
      for (const resnet of this.resnets) h = resnet.forward(concatSkip(h, skips[--k], 'UpBlock2D'), temb);
      if (this.upsamplers !== null) for (const up of this.upsamplers) h = up.forward(h, upsampleSize);
      return h;
    });
  }
}
