import { Linear, TimestepEmbedding } from '@yonos/core/nn';
import type { Attention, Conv2d, ResnetBlock2D } from '@yonos/core/nn';
import type { BasicTransformerBlock } from './basic-transformer-block.js';
import type { Transformer2DModel } from './transformer-2d.js';
import type { UNet2DConditionModel } from './unet-2d-condition.js';
import type { UNet2DModel } from './unet-2d.js';

/** FLOPs of one U-Net forward pass by kind (multiply-adds counted as 2). */
export interface UNetFlops {
  /** Convolutions (3x3 and 1x1, including resamplers and `proj_in`/`proj_out` convs). */
  readonly conv: number;
  /** Linear layers (q/k/v/out projections, feed-forwards, time and class embeddings, linear `proj_in`/`proj_out`). */
  readonly linear: number;
  /** The attention products `q k^T` and `softmax(.) v`. */
  readonly attention: number;
  /** Sum of the above. Elementwise work (norms, activations, softmax) is not counted. */
  readonly total: number;
}

/** Input size of {@link unetFlops}. */
export interface UNetFlopsInput {
  /** Batch size. */
  readonly batch: number;
  /** Sample height. */
  readonly height: number;
  /** Sample width. */
  readonly width: number;
  /** Context length (tokens of `encoderHiddenStates`), for cross-attention. Default 77. */
  readonly contextLength?: number;
}

interface Acc {
  conv: number;
  linear: number;
  attention: number;
}

const convOut = (size: number, c: Conv2d, pad: number): number => Math.floor((size + 2 * pad - c.kernel_size[0]) / c.stride[0]) + 1;

function conv(acc: Acc, c: Conv2d, outH: number, outW: number): void {
  acc.conv += 2 * outH * outW * c.in_channels * c.out_channels * c.kernel_size[0] * c.kernel_size[1];
}

function linear(acc: Acc, l: Linear, rows: number): void {
  acc.linear += 2 * rows * l.in_features * l.out_features;
}

function resnet(acc: Acc, r: ResnetBlock2D, h: number, w: number): void {
  conv(acc, r.conv1, h, w);
  conv(acc, r.conv2, h, w);
  if (r.conv_shortcut !== null) conv(acc, r.conv_shortcut, h, w);
  if (r.time_emb_proj !== null) linear(acc, r.time_emb_proj, 1);
}

function attention(acc: Acc, a: Attention, queries: number, keys: number): void {
  linear(acc, a.to_q, queries);
  linear(acc, a.to_k, keys);
  linear(acc, a.to_v, keys);
  linear(acc, a.to_out[0] as Linear, queries);
  acc.attention += 2 * 2 * queries * keys * a.inner_dim;
}

function transformerBlock(acc: Acc, b: BasicTransformerBlock, tokens: number, contextLength: number): void {
  attention(acc, b.attn1, tokens, b.only_cross_attention ? contextLength : tokens);
  if (b.attn2 !== null) attention(acc, b.attn2, tokens, contextLength);
  const [geglu, , out] = [...b.ff.net] as [{ proj: Linear }, unknown, Linear];
  linear(acc, geglu.proj, tokens);
  linear(acc, out, tokens);
}

function transformer(acc: Acc, t: Transformer2DModel, h: number, w: number, contextLength: number): void {
  const tokens = h * w;
  for (const proj of [t.proj_in, t.proj_out]) {
    if ('kernel_size' in proj) conv(acc, proj, h, w);
    else linear(acc, proj, tokens);
  }
  for (const b of t.transformer_blocks) transformerBlock(acc, b, tokens, contextLength);
}

/** A class embedding's linears, one row per sample (a table lookup and `'identity'` cost nothing). */
function classEmbedding(acc: Acc, m: UNet2DConditionModel['class_embedding']): void {
  if (m instanceof TimestepEmbedding) {
    linear(acc, m.linear_1, 1);
    linear(acc, m.linear_2, 1);
  } else if (m instanceof Linear) {
    linear(acc, m, 1);
  }
}

type AnyBlock = {
  readonly resnets: Iterable<ResnetBlock2D>;
  readonly attentions?: Iterable<Transformer2DModel | Attention>;
  readonly downsamplers?: Iterable<{ conv?: Conv2d | null; conv1?: Conv2d }> | null;
  readonly upsamplers?: Iterable<{ conv?: Conv2d | null; conv1?: Conv2d }> | null;
};

function blockAttentions(acc: Acc, block: AnyBlock, h: number, w: number, contextLength: number): void {
  for (const a of block.attentions ?? []) {
    if ('transformer_blocks' in a) transformer(acc, a, h, w, contextLength);
    else attention(acc, a, h * w, h * w);
  }
}

/**
 * Analytic FLOP count of one forward pass of a {@link UNet2DConditionModel} or
 * {@link UNet2DModel} (built shape-only is enough): convolutions, linear layers and attention
 * products at the sizes the given input produces, each multiply-add counted as 2. For
 * benchmarks (achieved GFLOP/s); no tensor is allocated.
 */
export function unetFlops(model: UNet2DConditionModel | UNet2DModel, input: UNetFlopsInput): UNetFlops {
  const acc: Acc = { conv: 0, linear: 0, attention: 0 };
  const ctx = input.contextLength ?? 77;
  let h = input.height;
  let w = input.width;
  const sizes: Array<[number, number]> = [[h, w]];
  conv(acc, model.conv_in, h, w);
  linear(acc, model.time_embedding.linear_1, 1);
  linear(acc, model.time_embedding.linear_2, 1);
  if ('class_embedding' in model) classEmbedding(acc, model.class_embedding);
  for (const block of model.down_blocks as Iterable<AnyBlock>) {
    const resnets = [...block.resnets];
    const attns = [...(block.attentions ?? [])];
    resnets.forEach((r, i) => {
      resnet(acc, r, h, w);
      const a = attns[i];
      if (a !== undefined) blockAttentions(acc, { resnets: [], attentions: [a] }, h, w, ctx);
      sizes.push([h, w]);
    });
    for (const d of block.downsamplers ?? []) {
      if (d.conv != null) {
        const pad = typeof d.conv.padding === 'number' ? d.conv.padding : 0;
        const oh = pad === 0 ? Math.floor(h / 2) : convOut(h, d.conv, pad);
        const ow = pad === 0 ? Math.floor(w / 2) : convOut(w, d.conv, pad);
        conv(acc, d.conv, oh, ow);
        [h, w] = [oh, ow];
      } else {
        resnet(acc, d as unknown as ResnetBlock2D, Math.floor(h / 2), Math.floor(w / 2));
        [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
      }
      sizes.push([h, w]);
    }
  }
  const mid = model.mid_block as AnyBlock | null;
  if (mid !== null) {
    for (const r of mid.resnets) resnet(acc, r, h, w);
    blockAttentions(acc, mid, h, w, ctx);
  }
  for (const block of model.up_blocks as Iterable<AnyBlock>) {
    const resnets = [...block.resnets];
    const attns = [...(block.attentions ?? [])];
    resnets.forEach((r, i) => {
      sizes.pop();
      resnet(acc, r, h, w);
      const a = attns[i];
      if (a !== undefined) blockAttentions(acc, { resnets: [], attentions: [a] }, h, w, ctx);
    });
    for (const u of block.upsamplers ?? []) {
      const [nh, nw] = sizes[sizes.length - 1] ?? [2 * h, 2 * w];
      if (u.conv != null) conv(acc, u.conv, nh, nw);
      else resnet(acc, u as unknown as ResnetBlock2D, nh, nw);
      [h, w] = [nh, nw];
    }
  }
  conv(acc, model.conv_out, h, w);
  const n = input.batch;
  const out = { conv: acc.conv * n, linear: acc.linear * n, attention: acc.attention * n };
  return { ...out, total: out.conv + out.linear + out.attention };
}
