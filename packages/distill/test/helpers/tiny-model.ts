// A two-layer conv net from core's nn, saveable in the diffusers layout, for training tests.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Dropout, Module, silu } from '@yonos/core/nn';
import type { ModelConfig } from '@yonos/core';

export interface TinyConfig extends ModelConfig {
  readonly channels: number;
  readonly hidden: number;
  readonly dropout: number;
}

/** `x + conv_out(dropout(silu(conv_in(x))))`, NHWC. */
export class TinyConvNet extends Module {
  static readonly className: string = 'TinyConvNet';
  readonly config: TinyConfig;
  readonly conv_in: Conv2d;
  readonly drop: Dropout;
  readonly conv_out: Conv2d;

  constructor(config: Partial<TinyConfig> = {}) {
    super();
    this.config = { channels: 3, hidden: 8, dropout: 0.1, ...config };
    this.conv_in = new Conv2d(this.config.channels, this.config.hidden, 3, { padding: 1 });
    this.drop = new Dropout(this.config.dropout);
    this.conv_out = new Conv2d(this.config.hidden, this.config.channels, 3, { padding: 1 });
  }

  static fromConfig(config: ModelConfig): TinyConvNet {
    return new TinyConvNet(config as Partial<TinyConfig>);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => tf.add(x, this.conv_out.forward(this.drop.forward(silu(this.conv_in.forward(x))) as tf.Tensor4D)) as tf.Tensor4D);
  }
}
