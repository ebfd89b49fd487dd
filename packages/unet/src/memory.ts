import {
  MemoryTally,
  ResnetBlock2D,
  activationMemory,
  attentionMemory,
  conv2dMemory,
  conv2dOutputSize,
  downsample2DMemory,
  groupNormMemory,
  layerNormMemory,
  linearMemory,
  resnetBlock2DMemory,
  tensorMemory,
  UNetMidBlock2D,
  unetMidBlock2DMemory,
  upsample2DMemory,
} from '@yonos/core/nn';
import type { DenoiserMemory } from '@yonos/core';
import type { ActivationName, Attention, Conv2d, Downsample2D, Linear, MemoryCost, Upsample2D } from '@yonos/core/nn';
import type { BasicTransformerBlock } from './basic-transformer-block.js';
import type { Transformer2DModel } from './transformer-2d.js';
import type { UNet2DConditionModel } from './unet-2d-condition.js';
import type { UNet2DModel } from './unet-2d.js';

const F32 = 4;

/** Input size of {@link unetMemory}. */
export interface UNetMemoryInput {
  /** Batch size. */
  readonly batch: number;
  /** Sample height. */
  readonly height: number;
  /** Sample width. */
  readonly width: number;
  /** Context length (tokens of `encoderHiddenStates`), for cross-attention. Default 77. */
  readonly contextLength?: number;
  /** The backend it runs on: retained bytes only on `wasm` (default: as on wasm). */
  readonly backend?: string;
}

type AnyAttention = Transformer2DModel | Attention;

interface AnyBlock {
  readonly resnets: Iterable<ResnetBlock2D>;
  readonly attentions?: Iterable<AnyAttention>;
  readonly downsamplers?: Iterable<Downsample2D | ResnetBlock2D> | null;
  readonly upsamplers?: Iterable<Upsample2D | ResnetBlock2D> | null;
}

/** `BasicTransformerBlock.forward` on `tokens` tokens, in its tidy: norm, attention, sum, three times (the last with the GEGLU feed-forward). */
function transformerBlockMemory(b: BasicTransformerBlock, tokens: number, contextLength: number, batch: number): MemoryCost {
  const t = new MemoryTally();
  const dim = b.norm1.normalized_shape;
  const sum = tensorMemory(dim * tokens);
  t.add(layerNormMemory(b.norm1, tokens));
  const cross1 = b.only_cross_attention;
  t.add(attentionMemory(b.attn1, tokens, cross1 ? contextLength : tokens, false, cross1, batch));
  t.add(sum);
  if (b.attn2 !== null && b.norm2 !== null) {
    t.add(layerNormMemory(b.norm2, tokens));
    t.add(attentionMemory(b.attn2, tokens, contextLength, false, true, batch));
    t.add(sum);
  }
  t.add(layerNormMemory(b.norm3, tokens));
  const [geglu, , out] = [...b.ff.net] as [{ proj: Linear }, unknown, Linear];
  const ff = new MemoryTally();
  const g = new MemoryTally(); // GEGLU: projection, its two halves, GELU of the gate, product
  const inner = geglu.proj.out_features / 2;
  g.add(linearMemory(geglu.proj, tokens, true));
  g.add(tensorMemory(2 * inner * tokens));
  g.add(activationMemory('gelu', inner * tokens));
  g.add(tensorMemory(inner * tokens));
  ff.add(g.result(F32 * inner * tokens));
  ff.add(linearMemory(out, tokens, true));
  t.add(ff.result(F32 * out.out_features * tokens));
  t.add(sum);
  return t.result(sum.held);
}

/** `Transformer2DModel.forward` on an `h x w` map: norm, projection in, blocks, projection out, residual. */
function transformer2DMemory(m: Transformer2DModel, pixels: number, contextLength: number, batch: number): MemoryCost {
  const t = new MemoryTally();
  const c = m.in_channels;
  t.add(groupNormMemory(m.norm, pixels));
  if ('kernel_size' in m.proj_in) {
    t.add(conv2dMemory(m.proj_in, pixels));
    t.add(tensorMemory(m.inner_dim * pixels)); // reshaped to tokens
  } else {
    t.add(tensorMemory(c * pixels)); // reshaped to tokens
    t.add(linearMemory(m.proj_in, pixels, true));
  }
  for (const block of m.transformer_blocks) t.add(transformerBlockMemory(block, pixels, contextLength, batch));
  if ('kernel_size' in m.proj_out) {
    t.add(tensorMemory(m.inner_dim * pixels)); // reshaped to a map
    t.add(conv2dMemory(m.proj_out, pixels));
  } else {
    t.add(linearMemory(m.proj_out, pixels, true));
    t.add(tensorMemory(c * pixels)); // reshaped to a map
  }
  t.add(tensorMemory(c * pixels)); // plus the input
  return t.result(F32 * c * pixels);
}

function attentionBlockMemory(a: AnyAttention, pixels: number, contextLength: number, batch: number): MemoryCost {
  return 'transformer_blocks' in a ? transformer2DMemory(a, pixels, contextLength, batch) : attentionMemory(a, pixels, pixels, true, false, batch);
}

/**
 * Values a class embedding keeps per sample until the end of `forward`: the label projection or
 * vectors, the MLP's hidden rows, the embedding, and the sum (or the concatenation, twice as wide).
 */
function classEmbeddingElements(model: UNet2DConditionModel): number {
  const plan = model.plan.class_embedding;
  if (plan === null) return 0;
  const temb = model.plan.time_embed_dim;
  const input = plan.type === 'timestep' ? model.time_proj.num_channels : (plan.input_dim ?? 1);
  return input + 4 * temb + (plan.concat ? 2 * temb : temb);
}

/** One `unetMemory` evaluation: the U-Net's blocks, in the order `forward` runs them. */
function forwardMemory(model: UNet2DConditionModel | UNet2DModel, height: number, width: number, contextLength: number, batch: number): MemoryTally {
  const t = new MemoryTally(); // the whole forward is one tidy: everything a block returns stays until the end
  const config = model.config as { center_input_sample?: boolean; act_fn?: string };
  const c0 = model.conv_in.out_channels;
  const temb = model.time_embedding.linear_1.out_features;
  t.alloc(F32 * (4 * c0 + 8 * temb)); // timestep embedding (a few [1, C] rows)
  if ('class_embedding' in model) t.alloc(F32 * classEmbeddingElements(model));
  if (config.center_input_sample === true) t.alloc(2 * F32 * model.conv_in.in_channels * height * width);
  let h = height;
  let w = width;
  const sizes: Array<[number, number]> = [[h, w]];
  t.add(conv2dMemory(model.conv_in, h * w));

  for (const block of model.down_blocks as Iterable<AnyBlock>) {
    const b = new MemoryTally();
    let kept = 0;
    const attentions = [...(block.attentions ?? [])];
    [...block.resnets].forEach((r, i) => {
      const out = b.add(resnetBlock2DMemory(r, h * w, true));
      const a = attentions[i];
      kept += a !== undefined ? b.add(attentionBlockMemory(a, h * w, contextLength, batch)) : out;
      sizes.push([h, w]);
    });
    for (const d of block.downsamplers ?? []) {
      if (d instanceof ResnetBlock2D) {
        kept += b.add(resnetBlock2DMemory(d, h * w, true));
        [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
      } else {
        if (d.conv !== null) [h, w] = conv2dOutputSize(d.conv, h, w);
        else [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
        kept += b.add(downsample2DMemory(d, h * w));
      }
      sizes.push([h, w]);
    }
    t.add(b.result(kept));
  }

  const mid = model.mid_block as AnyBlock | null;
  if (mid instanceof UNetMidBlock2D) {
    t.add(unetMidBlock2DMemory(mid, h * w, true, batch));
  } else if (mid !== null) {
    // UNetMidBlock2DCrossAttn: one tidy, everything it computes stays until it returns.
    const b = new MemoryTally();
    const [first, ...rest] = [...mid.resnets];
    let last = b.add(resnetBlock2DMemory(first!, h * w, true));
    const attentions = [...(mid.attentions ?? [])];
    rest.forEach((r, i) => {
      const a = attentions[i];
      if (a !== undefined) b.add(attentionBlockMemory(a, h * w, contextLength, batch));
      last = b.add(resnetBlock2DMemory(r, h * w, true));
    });
    t.add(b.result(last));
  }

  for (const block of model.up_blocks as Iterable<AnyBlock>) {
    const b = new MemoryTally();
    const attentions = [...(block.attentions ?? [])];
    let last = 0;
    [...block.resnets].forEach((r, i) => {
      sizes.pop();
      b.alloc(F32 * r.in_channels * h * w); // concat(h, skip)
      last = b.add(resnetBlock2DMemory(r, h * w, true));
      const a = attentions[i];
      if (a !== undefined) last = b.add(attentionBlockMemory(a, h * w, contextLength, batch));
    });
    for (const u of block.upsamplers ?? []) {
      const [nh, nw] = sizes[sizes.length - 1] ?? [2 * h, 2 * w];
      last = b.add(u instanceof ResnetBlock2D ? resnetBlock2DMemory(u, h * w, true) : upsample2DMemory(u, nh * nw));
      [h, w] = [nh, nw];
    }
    t.add(b.result(last));
  }

  // UNet2DModel applies SiLU here, UNet2DConditionModel its act_fn: count the larger.
  const elements = model.conv_norm_out.num_channels * h * w;
  const acts = [activationMemory('silu', elements), activationMemory((config.act_fn ?? 'silu').toLowerCase() as ActivationName, elements)];
  t.add(groupNormMemory(model.conv_norm_out, h * w));
  t.add(acts[0]!.peak >= acts[1]!.peak ? acts[0]! : acts[1]!);
  t.add(conv2dMemory(model.conv_out as Conv2d, h * w));
  return t;
}

/**
 * Peak tensor memory of one forward pass of a {@link UNet2DConditionModel} or
 * {@link UNet2DModel} (built shape-only is enough), in bytes: what `tf.memory().numBytes`
 * rises to during `forward` above its value at the call (the output counts; the sample, the
 * context and the weights do not; see `Denoiser.estimateMemory` of `@yonos/core`).
 *
 * It follows `forward` block by block. The whole pass is one `tf.tidy`, so every skip
 * activation and every block's output stays until the end; inside a block, everything it
 * computes stays until the block returns, except in `UNetMidBlock2D`, which frees each
 * intermediate once the next exists (see `unetMidBlock2DMemory` of `@yonos/core`). A ResNet
 * peaks at about `2 * in + 8 * out` channels (norm, activation, conv, time embedding, norm,
 * activation, conv, shortcut, sum); self-attention adds `2 * heads * tokens^2` values (scores
 * and softmax of every head). For a U-Net without attention the result is linear in the pixel
 * count: the bundled model (`block_out_channels` 32/64/128/128) needs about 3.6 KB per latent
 * pixel.
 *
 * `forwardRetained` (wasm): XNNPACK's indirection buffers, 36 bytes per output pixel of every
 * 3x3 conv (see `conv2dMemory` of `@yonos/core`), about 0.6 KB per latent pixel for the
 * bundled model.
 */
export function unetMemory(model: UNet2DConditionModel | UNet2DModel, input: UNetMemoryInput): DenoiserMemory {
  const t = forwardMemory(model, input.height, input.width, input.contextLength ?? 77, input.batch);
  const retains = input.backend === undefined || input.backend === 'wasm';
  return { forward: input.batch * t.peak, forwardRetained: retains ? input.batch * t.retained : 0 };
}
