import * as tf from '@tensorflow/tfjs-core';
import { Downsample2D, Module, ModuleList } from '@yonos/core/nn';
import type { ResnetBlock2D } from '@yonos/core/nn';
import { makeResnet } from './resnet.js';
import type { DownBlockOutput, ResnetSettings, UNetDownBlock } from './types.js';

/** Options of {@link DownBlock2D}, with diffusers' argument names. */
export interface DownBlock2DOptions {
  /** Input channels. */
  readonly in_channels: number;
  /** Output channels. */
  readonly out_channels: number;
  /** ResNets (default 1). */
  readonly num_layers?: number;
  /** End with a stride-2 3x3 conv `downsamplers.0.conv` (default `true`). */
  readonly add_downsample?: boolean;
  /** Padding of that conv (default 1). */
  readonly downsample_padding?: number;
  /** Shared ResNet settings. */
  readonly resnet: ResnetSettings;
}

/** diffusers' `DownBlock2D`: ResNets, then an optional stride-2 conv. No attention. */
export class DownBlock2D extends Module implements UNetDownBlock {
  /** Never uses a context. */
  readonly has_cross_attention = false;
  /** `num_layers` ResNets, the first `in -> out`. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /** `[Downsample2D]`, or `null`. */
  readonly downsamplers: ModuleList<Downsample2D> | null;

  constructor(options: DownBlock2DOptions) {
    super();
    const o = options;
    const resnets: ResnetBlock2D[] = [];
    for (let i = 0; i < (o.num_layers ?? 1); i++) {
      resnets.push(makeResnet(o.resnet, i === 0 ? o.in_channels : o.out_channels, o.out_channels));
    }
    this.resnets = new ModuleList(resnets);
    this.downsamplers =
      (o.add_downsample ?? true)
        ? new ModuleList([
            new Downsample2D(o.out_channels, { use_conv: true, out_channels: o.out_channels, padding: o.downsample_padding ?? 1 }),
          ])
        : null;
  }

  /** See {@link UNetDownBlock.forward}; `context` is ignored. */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D): DownBlockOutput {
    return tf.tidy(() => {
      const residuals: tf.Tensor4D[] = [];
      let h = x;
      for (const resnet of this.resnets) {
        h = resnet.forward(h, temb);
        residuals.push(h);
      }
      if (this.downsamplers !== null) {
        for (const down of this.downsamplers) h = down.forward(h);
        residuals.push(h);
      }
      return { hidden: h, residuals };
    });
  }
}
