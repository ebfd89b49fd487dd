import * as tf from '@tensorflow/tfjs-core';
import { Module, Parameter, normalInit } from '@yonos/core/nn';

/**
 * `torch.nn.Embedding`: a learned table of `num_embeddings` rows of width `embedding_dim`,
 * looked up by integer index. Parameter `weight` `[num_embeddings, embedding_dim]` (the same
 * layout in PyTorch), initialized standard normal as PyTorch does.
 */
export class Embedding extends Module {
  /** Rows of the table. */
  readonly num_embeddings: number;
  /** Width of each row. */
  readonly embedding_dim: number;
  /** `[num_embeddings, embedding_dim]`. */
  readonly weight: Parameter;

  /**
   * @param num_embeddings Rows of the table.
   * @param embedding_dim Width of each row.
   */
  constructor(num_embeddings: number, embedding_dim: number) {
    super();
    this.num_embeddings = num_embeddings;
    this.embedding_dim = embedding_dim;
    this.weight = new Parameter([num_embeddings, embedding_dim], { init: normalInit(1) });
  }

  /**
   * The rows at `indices`. Indices must lie in `[0, num_embeddings)`: callers check them (on GPU
   * backends an out-of-range gather is not an error).
   * @param indices `[N]` int32.
   * @returns `[N, embedding_dim]`, float32; a new tensor.
   */
  forward(indices: tf.Tensor1D): tf.Tensor2D {
    return tf.gather(this.weight.value as tf.Tensor2D, indices);
  }
}
