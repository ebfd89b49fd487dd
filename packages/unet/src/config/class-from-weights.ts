import type { ModelConfig } from '@yonos/core';

/**
 * The class-embedding config keys a `UNet2DConditionModel` state dict's PyTorch shapes imply,
 * where the shapes tell them apart:
 * - `class_embedding.weight` `[rows, width]` alone (an `nn.Embedding`): `class_embed_type: null`,
 *   `num_class_embeds: rows`;
 * - `class_embedding.weight` `[width, in]` with `class_embedding.bias` (an `nn.Linear`):
 *   `class_embed_type: 'simple_projection'`, `projection_class_embeddings_input_dim: in`;
 * - no `class_embedding.*` key and a time embedding: `num_class_embeds: null` (no table);
 * - `class_embeddings_concat`, when the ResNets' `time_emb_proj` take twice the time embedding's width.
 *
 * A `TimestepEmbedding` class embedding (`class_embedding.linear_1/2`) is `'timestep'` or
 * `'projection'`, which the shapes cannot always tell apart, so no key is read from it.
 * @param shapes Parameter names and their PyTorch shapes.
 */
export function classEmbeddingConfigFromWeights(shapes: ReadonlyMap<string, readonly number[]>): ModelConfig {
  const out: Record<string, unknown> = {};
  const weight = shapes.get('class_embedding.weight');
  const hasTimestepEmbedding = shapes.has('class_embedding.linear_1.weight');
  if (weight?.length === 2) {
    if (shapes.has('class_embedding.bias')) {
      out['class_embed_type'] = 'simple_projection';
      out['projection_class_embeddings_input_dim'] = weight[1];
    } else {
      out['class_embed_type'] = null;
      out['num_class_embeds'] = weight[0];
    }
  } else if (!hasTimestepEmbedding && shapes.has('time_embedding.linear_2.weight')) {
    out['num_class_embeds'] = null;
  }
  const timeEmbedDim = shapes.get('time_embedding.linear_2.weight')?.[0];
  for (const [name, shape] of shapes) {
    if (timeEmbedDim !== undefined && name.endsWith('.time_emb_proj.weight') && shape.length === 2) {
      out['class_embeddings_concat'] = shape[1] === 2 * timeEmbedDim;
      break;
    }
  }
  return out;
}
