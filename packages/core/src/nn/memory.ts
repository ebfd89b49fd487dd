import type { ActivationName } from './activations.js';
import type { Attention } from './attention.js';
import type { Conv2d } from './conv.js';
import type { GroupNorm } from './group-norm.js';
import type { LayerNorm } from './layer-norm.js';
import type { Linear } from './linear.js';
import type { ResnetBlock2D } from './resnet.js';
import type { Downsample2D, Upsample2D } from './sampling.js';
import type { UNetMidBlock2D } from './unet-mid-block-2d.js';

/** Bytes of one float32 value. */
const F32 = 4;

/**
 * The tensor memory of one call, as `tf.memory().numBytes` sees it (every tensor counted,
 * reshaped views and clones included, so it bounds what the backend holds from above):
 * bytes above the count at the call, the call's inputs and the model's weights left out.
 */
export interface MemoryCost {
  /** The most bytes the call holds at once, its output included. */
  readonly peak: number;
  /** The bytes still held when it returns (its output). */
  readonly held: number;
  /**
   * Bytes the wasm backend keeps after the call, outside tensors: XNNPACK's indirection
   * buffer of every convolution that is not a plain 1x1 (see {@link conv2dMemory}). 0 when
   * omitted.
   */
  readonly retained?: number;
}

/**
 * Adds up {@link MemoryCost}s the way a forward pass holds tensors: a step runs on top of
 * everything held before it, and what it returns stays held until it is freed (by `dispose`,
 * or by the end of the enclosing `tf.tidy`, see {@link MemoryTally.result}). The memory
 * estimates of the models (`estimateMemory`) are written with it, step by step as their
 * `forward` runs.
 * @example
 * ```ts
 * const t = new MemoryTally();
 * const h = t.add(conv2dMemory(conv, pixels)); // the conv's output stays held
 * t.add(groupNormMemory(norm, pixels));
 * t.free(h); // disposed
 * const cost = t.result(outputBytes); // what the enclosing tidy returns stays held
 * ```
 */
export class MemoryTally {
  #held = 0;
  #peak = 0;
  #retained = 0;

  /** Bytes held now. */
  get held(): number {
    return this.#held;
  }

  /** The most bytes held at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** The steps' {@link MemoryCost.retained} bytes, summed. */
  get retained(): number {
    return this.#retained;
  }

  /**
   * One step: it peaks at `cost.peak` above what is held now, then holds `cost.held` more.
   * @returns `cost.held`, to pass to {@link MemoryTally.free} when the step's output is freed.
   */
  add(cost: MemoryCost): number {
    this.#peak = Math.max(this.#peak, this.#held + cost.peak);
    this.#held += cost.held;
    this.#retained += cost.retained ?? 0;
    return cost.held;
  }

  /** A new tensor of `bytes`: a step whose peak and output are both `bytes`. @returns `bytes`. */
  alloc(bytes: number): number {
    return this.add({ peak: bytes, held: bytes });
  }

  /** Frees `bytes` (a tensor disposed). */
  free(bytes: number): void {
    this.#held -= bytes;
  }

  /**
   * The tally as one step seen from outside: its peak, holding only `kept` bytes (what a
   * `tf.tidy` returns; default everything still held).
   */
  result(kept: number = this.#held): MemoryCost {
    return { peak: Math.max(this.#peak, kept), held: kept, retained: this.#retained };
  }
}

/** A float32 tensor of `elements` values created by one op. */
export function tensorMemory(elements: number): MemoryCost {
  return { peak: F32 * elements, held: F32 * elements };
}

/**
 * The output `[height, width]` of {@link Conv2d.forward} on an input of `height x width`
 * (PyTorch's `floor((size + padding - kernel) / stride) + 1`).
 */
export function conv2dOutputSize(conv: Conv2d, height: number, width: number): [number, number] {
  const [kh, kw] = conv.kernel_size;
  const [sh, sw] = conv.stride;
  const p = conv.padding;
  const pad = (k: number, axis: 0 | 1): number =>
    p === 'valid' ? 0 : p === 'same' ? k - 1 : typeof p === 'number' ? 2 * p : p[axis][0] + p[axis][1];
  return [Math.floor((height + pad(kh, 0) - kh) / sh) + 1, Math.floor((width + pad(kw, 1) - kw) / sw) + 1];
}

/**
 * {@link Conv2d.forward} producing `outPixels` pixels per batch item: the convolution and,
 * with a bias, the sum, which replaces it.
 *
 * `retained`: the wasm backend runs convolutions with XNNPACK and caches one operator per
 * convolution (per weight tensor) until the weights are disposed. Every convolution but a
 * 1x1 one with stride 1 and no padding keeps an indirection buffer in it, one 4-byte pointer
 * per kernel tap and output pixel (`4 * kh * kw` bytes per output pixel), sized for the
 * largest input the convolution has run on.
 */
export function conv2dMemory(conv: Conv2d, outPixels: number): MemoryCost {
  const out = F32 * outPixels * conv.out_channels;
  const [kh, kw] = conv.kernel_size;
  const [sh, sw] = conv.stride;
  const p = conv.padding;
  const unpadded = p === 'valid' || p === 0 || (Array.isArray(p) && p.flat().every((v) => v === 0)) || (p === 'same' && kh === 1 && kw === 1);
  const gemm = kh === 1 && kw === 1 && sh === 1 && sw === 1 && unpadded;
  return { peak: conv.bias !== null ? 2 * out : out, held: out, retained: gemm ? 0 : 4 * kh * kw * outPixels };
}

/**
 * {@link Linear.forward} on `rows` rows (batch times tokens). Inputs of rank 3 or more are
 * reshaped to 2-D and back (`reshaped`), which the count sees as copies.
 */
export function linearMemory(linear: Linear, rows: number, reshaped: boolean): MemoryCost {
  const out = F32 * rows * linear.out_features;
  const copies = 1 + (linear.bias !== null ? 1 : 0) + (reshaped ? 1 : 0);
  return { peak: (reshaped ? F32 * rows * linear.in_features : 0) + copies * out, held: out };
}

/** Tensors an activation creates per input element at its peak (`silu` is `x * sigmoid(x)`). */
const ACTIVATION_COPIES: Readonly<Record<ActivationName, number>> = { relu: 1, silu: 2, swish: 2, mish: 3, gelu: 5 };

/** An activation (`getActivation(name)`) of `elements` values. */
export function activationMemory(name: ActivationName, elements: number): MemoryCost {
  const copies = ACTIVATION_COPIES[name.toLowerCase() as ActivationName] ?? 9; // tanh-approximated GELU, the largest
  return { peak: copies * F32 * elements, held: F32 * elements };
}

/**
 * {@link GroupNorm.forward} of `pixels` positions per batch item: the input seen as `[N, HW, C]`,
 * the centred input, a full-size square or view at a time, the scaled and shifted output,
 * plus per-channel statistics.
 */
export function groupNormMemory(norm: GroupNorm, pixels: number): MemoryCost {
  const c = norm.num_channels;
  return { peak: F32 * (4 * c * pixels + 32 * c), held: F32 * c * pixels };
}

/**
 * {@link LayerNorm.forward} of `rows` rows (batch times tokens): the 2-D view, centred
 * input, its square, normalized, scaled and shifted, plus per-row statistics.
 */
export function layerNormMemory(norm: LayerNorm, rows: number): MemoryCost {
  const c = norm.normalized_shape;
  return { peak: F32 * (6 * c * rows + 8 * rows + 4 * c), held: F32 * c * rows };
}

/**
 * {@link ResnetBlock2D.forward} on `pixels` input positions per batch item (the output has as
 * many, or a quarter or four times as many with `down` / `up`). Everything it computes lives
 * until its `tf.tidy` ends: norm, activation, conv, time embedding, norm, activation, conv,
 * shortcut, sum.
 * @param withTemb Whether a time embedding is passed (and the block has `time_emb_proj`).
 */
export function resnetBlock2DMemory(block: ResnetBlock2D, pixels: number, withTemb: boolean): MemoryCost {
  const t = new MemoryTally();
  const cin = block.in_channels;
  const act = block.non_linearity;
  t.add(groupNormMemory(block.norm1, pixels));
  t.add(activationMemory(act, cin * pixels));
  let p = pixels;
  if (block.upsample !== null || block.downsample !== null) {
    p = block.upsample !== null ? 4 * pixels : Math.floor(pixels / 4);
    // The input and the activated input are both resampled (avg pooling or nearest; no conv).
    t.add(tensorMemory(cin * p));
    t.add(tensorMemory(cin * p));
  }
  const mid = block.conv1.out_channels;
  t.add(conv2dMemory(block.conv1, p));
  const temb = withTemb && block.time_emb_proj !== null;
  if (temb) {
    t.add(tensorMemory(2 * block.time_emb_proj!.out_features * 4)); // projection, reshape (tiny)
    if (block.time_embedding_norm === 'default') t.add(tensorMemory(mid * p));
  }
  t.add(groupNormMemory(block.norm2, p));
  if (temb && block.time_embedding_norm === 'scale_shift') {
    t.add(tensorMemory(3 * mid * p));
  }
  t.add(activationMemory(act, mid * p));
  t.add(conv2dMemory(block.conv2, p));
  if (block.conv_shortcut !== null) t.add(conv2dMemory(block.conv_shortcut, p));
  const out = F32 * block.out_channels * p;
  t.add({ peak: out, held: out });
  if (block.output_scale_factor !== 1) t.add({ peak: out, held: out });
  return t.result(out);
}

/**
 * {@link Attention.forward} with `queries` query positions and `keys` key positions per batch
 * item (`keys = queries` for self-attention). The score and softmax matrices of every head,
 * `2 * heads * queries * keys` values, stay alive until the call ends, which is what makes
 * attention over whole images costly.
 * @param spatial Whether the input is an NHWC image (reshaped to tokens and back) rather than `[N, L, C]`.
 * @param withContext Whether a context is passed (cross-attention): keys and values are
 *   projected from it (`keys` context tokens) instead of from the queries.
 * @param batch The batch size, which decides how the heads are laid out (a single head of a
 *   single item skips the head-major copies); the cost is still per batch item.
 */
export function attentionMemory(
  attention: Attention,
  queries: number,
  keys: number,
  spatial: boolean,
  withContext: boolean,
  batch = 1,
): MemoryCost {
  const t = new MemoryTally();
  const c = attention.query_dim;
  const inner = attention.inner_dim;
  const heads = attention.heads;
  const d = inner / heads;
  if (spatial) t.add(tensorMemory(c * queries));
  if (attention.group_norm !== null) t.add(groupNormMemory(attention.group_norm, queries));
  if (withContext && attention.norm_cross !== null) t.add(tensorMemory(8 * attention.cross_attention_dim * keys));
  t.add(linearMemory(attention.to_q, queries, true));
  t.add(tensorMemory(inner * queries)); // times the scale
  t.add(linearMemory(attention.to_k, keys, true));
  t.add(linearMemory(attention.to_v, keys, true));
  // multiHeadAttention, all inside one tidy.
  const m = new MemoryTally();
  if (heads * batch === 1) {
    m.add(tensorMemory(2 * d * keys)); // k as [S, d], transposed
    m.add(tensorMemory(d * queries)); // q as [L, d]
    m.add(tensorMemory(2 * queries * keys)); // scores, softmax
    m.add(tensorMemory(d * keys)); // v as [S, d]
    m.add(tensorMemory(2 * d * queries)); // output, reshaped
  } else {
    m.add(tensorMemory(3 * inner * queries)); // q head-major: reshape, transpose, reshape
    m.add(tensorMemory(6 * inner * keys)); // v and k the same way
    m.add(tensorMemory(heads * (2 * queries * keys + 2 * d * queries + 2 * d * keys))); // per head: slices, scores, softmax, output
    m.add(tensorMemory(4 * inner * queries)); // concat, reshape, transpose, reshape
  }
  t.add(m.result(F32 * inner * queries));
  const out = attention.to_out.get(0) as Linear;
  t.add(linearMemory(out, queries, true));
  const outBytes = F32 * out.out_features * queries;
  if (spatial) t.add({ peak: outBytes, held: outBytes });
  if (attention.residual_connection) t.add({ peak: outBytes, held: outBytes });
  if (attention.rescale_output_factor !== 1) t.add({ peak: outBytes, held: outBytes });
  return t.result(outBytes);
}

/**
 * {@link UNetMidBlock2D.forward} on `pixels` positions per batch item: its resnets and
 * self-attentions one after the other, each intermediate freed once the next exists (the
 * block's input belongs to the caller and is not counted).
 * @param withTemb Whether a time embedding is passed (and the resnets have `time_emb_proj`).
 * @param batch The batch size (see {@link attentionMemory}); the cost is still per batch item.
 */
export function unetMidBlock2DMemory(block: UNetMidBlock2D, pixels: number, withTemb: boolean, batch = 1): MemoryCost {
  const t = new MemoryTally();
  let previous = t.add(resnetBlock2DMemory(block.resnets[0]!, pixels, withTemb));
  const step = (cost: MemoryCost): void => {
    const held = t.add(cost);
    t.free(previous);
    previous = held;
  };
  for (let i = 1; i < block.resnets.length; i++) {
    const attention = block.attentions.get(i - 1);
    if (attention !== undefined) step(attentionMemory(attention, pixels, pixels, true, false, batch));
    step(resnetBlock2DMemory(block.resnets[i]!, pixels, withTemb));
  }
  return t.result(previous);
}

/**
 * {@link Upsample2D.forward} producing `outPixels` positions per batch item (four times its
 * input's): nearest-neighbour upsampling, then the conv if the module has one.
 */
export function upsample2DMemory(up: Upsample2D, outPixels: number): MemoryCost {
  const t = new MemoryTally();
  t.add(tensorMemory(up.channels * outPixels));
  if (up.conv !== null) t.add(conv2dMemory(up.conv, outPixels));
  return t.result(F32 * up.out_channels * outPixels);
}

/** {@link Downsample2D.forward} producing `outPixels` positions per batch item: its strided conv, or average pooling (two copies at its peak). */
export function downsample2DMemory(down: Downsample2D, outPixels: number): MemoryCost {
  if (down.conv !== null) return conv2dMemory(down.conv, outPixels);
  const out = F32 * down.channels * outPixels;
  return { peak: 2 * out, held: out };
}
