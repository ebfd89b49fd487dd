import type * as tf from '@tensorflow/tfjs-core';
import type { ActivationName, Module, ModuleList, ResnetBlock2D } from '@yonos/core/nn';

/** ResNet settings shared by every block of a U-Net (diffusers' `resnet_*` arguments). */
export interface ResnetSettings {
  /** Width of the time embedding the ResNets receive. */
  readonly temb_channels: number;
  /** GroupNorm epsilon (`resnet_eps`). */
  readonly eps: number;
  /** GroupNorm groups (`resnet_groups`). */
  readonly groups: number;
  /** Activation (`resnet_act_fn`). */
  readonly act_fn: ActivationName;
  /** Dropout before each ResNet's `conv2`. */
  readonly dropout: number;
  /** `'default'` (add the time embedding) or `'scale_shift'`. */
  readonly time_scale_shift: 'default' | 'scale_shift';
  /** Output divisor of the ResNets and self-attentions (default 1). */
  readonly output_scale_factor?: number;
}

/** Attention settings of the cross-attention blocks. */
export interface CrossAttentionSettings {
  /** Heads of each transformer. */
  readonly num_attention_heads: number;
  /** Width of the context. */
  readonly cross_attention_dim: number;
  /** Transformer blocks of each attention layer (one entry per ResNet). */
  readonly transformer_layers: readonly number[];
  /** Linear (SD 2.x) or 1x1-conv (SD 1.x) projections. */
  readonly use_linear_projection: boolean;
  /** `attn1` attends to the context. */
  readonly only_cross_attention: boolean;
  /** No effect in float32; kept for fidelity. */
  readonly upcast_attention: boolean;
}

/** What a down block returns: its output and the skip tensors it hands to the up path, in order. */
export interface DownBlockOutput {
  /** NHWC output (half size after a downsampler). */
  readonly hidden: tf.Tensor4D;
  /** One NHWC tensor per ResNet, plus the downsampled output when the block downsamples. */
  readonly residuals: tf.Tensor4D[];
}

/** A down block of a U-Net (`DownBlock2D`, `CrossAttnDownBlock2D`, `AttnDownBlock2D`). */
export interface UNetDownBlock extends Module {
  /** Whether the block uses the cross-attention context. */
  readonly has_cross_attention: boolean;
  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @param temb Time embedding `[N, temb_channels]`.
   * @param context `[N, S, cross_attention_dim]`, for blocks with cross-attention.
   * @returns New tensors (the caller disposes them, or runs this inside `tf.tidy`).
   */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D, context?: tf.Tensor3D): DownBlockOutput;
}

/** An up block of a U-Net (`UpBlock2D`, `CrossAttnUpBlock2D`, `AttnUpBlock2D`). */
export interface UNetUpBlock extends Module {
  /** Whether the block uses the cross-attention context. */
  readonly has_cross_attention: boolean;
  /** Its ResNets; it consumes one skip tensor per ResNet. */
  readonly resnets: ModuleList<ResnetBlock2D>;
  /**
   * @param x NHWC `[N, H, W, prev_output_channel]`, float32.
   * @param skips The skip tensors this block consumes, in the order the down path produced
   *   them (the last is concatenated first).
   * @param temb Time embedding `[N, temb_channels]`.
   * @param context `[N, S, cross_attention_dim]`, for blocks with cross-attention.
   * @param upsampleSize `[H', W']` for the upsampler instead of `[2H, 2W]` (odd sizes).
   * @returns NHWC `[N, H', W', out_channels]`; a new tensor.
   */
  forward(
    x: tf.Tensor4D,
    skips: readonly tf.Tensor4D[],
    temb: tf.Tensor2D,
    context?: tf.Tensor3D,
    upsampleSize?: readonly [number, number],
  ): tf.Tensor4D;
}

/** A mid block (`UNetMidBlock2DCrossAttn`, or core's `UNetMidBlock2D`). */
export interface UNetMidBlock extends Module {
  /** Whether the block uses the cross-attention context (absent: it does not, as diffusers' `hasattr` check reads it). */
  readonly has_cross_attention?: boolean;
  /**
   * @param x NHWC `[N, H, W, in_channels]`, float32.
   * @returns NHWC, same shape; a new tensor.
   */
  forward(x: tf.Tensor4D, temb: tf.Tensor2D, context?: tf.Tensor3D): tf.Tensor4D;
}
