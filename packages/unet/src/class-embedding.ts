import * as tf from '@tensorflow/tfjs-core';
import { Linear, TimestepEmbedding } from '@yonos/core/nn';
import type { DenoiserClassConditioning, DenoiserClassLabels } from '@yonos/core';
import type { ActivationName, Timesteps } from '@yonos/core/nn';
import type { ClassEmbeddingPlan } from './config/unet-2d-condition.js';
import { Embedding } from './embedding.js';

/** The module a U-Net embeds class labels with, by `class_embed_type` (`'identity'` has none). */
export type ClassEmbeddingModule = Embedding | TimestepEmbedding | Linear;

/**
 * Builds diffusers' `class_embedding` for a plan: `nn.Embedding(num_class_embeds, time_embed_dim)`
 * for a table, `TimestepEmbedding(timestep_input_dim, time_embed_dim, act_fn)` for `'timestep'`,
 * `TimestepEmbedding(input_dim, time_embed_dim)` (SiLU, whatever `act_fn` says) for
 * `'projection'`, `Linear(input_dim, time_embed_dim)` for `'simple_projection'`; `null` for
 * `'identity'` (parameter-free) and without class conditioning.
 * @param timestepInputDim Width of the sinusoidal timestep projection (`block_out_channels[0]`).
 */
export function createClassEmbedding(
  plan: ClassEmbeddingPlan | null,
  timestepInputDim: number,
  timeEmbedDim: number,
  actFn: ActivationName,
): ClassEmbeddingModule | null {
  switch (plan?.type) {
    case 'embedding':
      return new Embedding(plan.num_class_embeds!, timeEmbedDim);
    case 'timestep':
      return new TimestepEmbedding(timestepInputDim, timeEmbedDim, { act_fn: actFn });
    case 'projection':
      return new TimestepEmbedding(plan.input_dim!, timeEmbedDim);
    case 'simple_projection':
      return new Linear(plan.input_dim!, timeEmbedDim);
    default:
      return null;
  }
}

/** The {@link DenoiserClassConditioning} a plan gives the model (what its `classLabels` must hold). */
export function classConditioningOf(plan: ClassEmbeddingPlan | null): DenoiserClassConditioning | undefined {
  if (plan === null) return undefined;
  if (plan.type === 'embedding') return Object.freeze({ kind: 'index', numClasses: plan.num_class_embeds! });
  if (plan.type === 'timestep') return Object.freeze({ kind: 'timestep' });
  return Object.freeze({ kind: 'vector', dim: plan.input_dim! });
}

/** Labels as a tensor of `[k]` (or `[k, dim]`) rows, `k` 1 or the batch. */
function labelTensor(labels: DenoiserClassLabels, dtype: 'int32' | 'float32'): tf.Tensor {
  if (typeof labels === 'number') return tf.tensor1d([labels], dtype);
  if (!(labels instanceof tf.Tensor)) return tf.tensor1d([...(labels as readonly number[])], dtype);
  const t = labels.rank === 0 ? tf.reshape(labels, [1]) : labels;
  return t.dtype === dtype ? t : tf.cast(t, dtype);
}

/**
 * Embeds checked class labels as diffusers' `UNet2DConditionModel.forward` does and joins them to
 * the time embedding: `'timestep'` labels go through the model's `time_proj` first; the class
 * embedding is added to `temb` (a single label row is broadcast to the batch), or concatenated
 * after it with `class_embeddings_concat`. Call inside `tf.tidy`, after `checkClassLabels`.
 * @param temb `[N, time_embed_dim]`.
 * @returns `[N, time_embed_dim]`, or `[N, 2 * time_embed_dim]` when concatenating.
 */
export function addClassEmbedding(
  temb: tf.Tensor2D,
  plan: ClassEmbeddingPlan,
  module: ClassEmbeddingModule | null,
  timeProj: Timesteps,
  labels: DenoiserClassLabels,
): tf.Tensor2D {
  let emb: tf.Tensor2D;
  switch (plan.type) {
    case 'embedding':
      emb = (module as Embedding).forward(labelTensor(labels, 'int32') as tf.Tensor1D);
      break;
    case 'timestep': {
      // Numbers take the host path of the sinusoidal projection, as timesteps do (float32 rounding as PyTorch's).
      const projected =
        labels instanceof tf.Tensor ? timeProj.forward(labelTensor(labels, 'float32') as tf.Tensor1D) : timeProj.forward(typeof labels === 'number' ? [labels] : labels);
      emb = (module as TimestepEmbedding).forward(projected);
      break;
    }
    case 'identity':
      emb = labelTensor(labels, 'float32') as tf.Tensor2D;
      break;
    default:
      emb = (module as TimestepEmbedding | Linear).forward(labelTensor(labels, 'float32') as tf.Tensor2D) as tf.Tensor2D;
  }
  const batch = temb.shape[0];
  if (plan.concat) return tf.concat([temb, emb.shape[0] === batch ? emb : tf.tile(emb, [batch, 1])], 1);
  return tf.add(temb, emb);
}
