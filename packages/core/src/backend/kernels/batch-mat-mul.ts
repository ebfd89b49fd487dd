import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './tensor-args.js';

/** Attributes tfjs passes to the `BatchMatMul` kernel. */
interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

const batchSize = (shape: readonly number[]): number => tf.util.sizeFromShape(shape.slice(0, -2));

/**
 * Whether a `BatchMatMul` call is one tfjs-backend-wasm runs fast: a single matrix product
 * with no transpose flag (XNNPACK's fully-connected operator). Every other case (a batch, or
 * either flag) falls back in tfjs-wasm 4.22 to a scalar triple loop 10-20x slower, and every
 * matMul gradient (`dA = dC B^T`, `dB = A^T dC`) is such a case.
 */
export function isPlainMatMul(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): boolean {
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  const a = inputs['a'];
  const b = inputs['b'];
  if (a === undefined || b === undefined) return true;
  return !transposeA && !transposeB && batchSize(a.shape) === 1 && batchSize(b.shape) === 1;
}

/**
 * A batched matrix product (tfjs `matMul` semantics, batch dimensions broadcast) as plain
 * single products only: transpose flags become explicit transposes of the last two
 * dimensions (for a single product, of the operands or of the result, whichever moves
 * fewer elements); a batch against one shared right matrix is one tall product; one left matrix
 * against a batch multiplies a `[K, batch * N]` panel; otherwise one product per batch item
 * (contiguous slices), concatenated. Call inside `tf.tidy`.
 * @param a `[...batchA, M, K]` (`[..., K, M]` with `transposeA`), float32.
 * @param b `[...batchB, K, N]` (`[..., N, K]` with `transposeB`), float32.
 * @returns `[...broadcast(batchA, batchB), M, N]`.
 */
export function matMulAsPlainProducts(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = batchSize(a.shape);
  const batchB = batchSize(b.shape);
  if (batchA === 1 && batchB === 1 && tf.util.sizeFromShape(a.shape) > 0 && tf.util.sizeFromShape(b.shape) > 0) {
    const rows = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [t.shape[t.rank - 2]!, t.shape[t.rank - 1]!]);
    const c = singleProduct(rows(a), rows(b), transposeA, transposeB);
    return tf.reshape(c, [...outBatch, c.shape[0], c.shape[1]]);
  }
  const matrices = (t: tf.Tensor, batch: number, transpose: boolean): tf.Tensor3D => {
    const rows = t.shape[t.rank - 2]!;
    const cols = t.shape[t.rank - 1]!;
    const t3 = tf.reshape(t, [batch, rows, cols]) as tf.Tensor3D;
    return transpose ? tf.transpose(t3, [0, 2, 1]) : t3;
  };
  let a3 = matrices(a, batchA, transposeA);
  let b3 = matrices(b, batchB, transposeB);
  const [, m, k] = a3.shape;
  const n = b3.shape[2];
  const total = tf.util.sizeFromShape(outBatch);
  if (total * m * n * k === 0) return tf.zeros([...outBatch, m, n]);
  let out: tf.Tensor;
  // With one side unbatched, the other side's batch is the broadcast batch.
  if (batchB === 1) {
    // Every left matrix meets the same right one: stack them into one tall product.
    out = tf.matMul(tf.reshape(a3, [batchA * m, k]) as tf.Tensor2D, tf.reshape(b3, [k, n]) as tf.Tensor2D);
  } else if (batchA === 1) {
    // One left matrix against a batch: A [M, K] times the panel [K, batch * N].
    const panel = tf.reshape(tf.transpose(b3, [1, 0, 2]), [k, batchB * n]) as tf.Tensor2D;
    const wide = tf.matMul(tf.reshape(a3, [m, k]) as tf.Tensor2D, panel);
    out = tf.transpose(tf.reshape(wide, [m, batchB, n]), [1, 0, 2]);
  } else {
    if (batchA !== total || batchB !== total) {
      // Both batched and broadcast against each other: materialize the common batch.
      a3 = tf.reshape(tf.broadcastTo(tf.reshape(a3, [...a.shape.slice(0, -2), m, k]), [...outBatch, m, k]), [total, m, k]);
      b3 = tf.reshape(tf.broadcastTo(tf.reshape(b3, [...b.shape.slice(0, -2), k, n]), [...outBatch, k, n]), [total, k, n]);
    }
    const products: tf.Tensor[] = [];
    for (let i = 0; i < total; i++) {
      const ai = tf.reshape(tf.slice(a3, [i, 0, 0], [1, m, k]), [m, k]) as tf.Tensor2D;
      const bi = tf.reshape(tf.slice(b3, [i, 0, 0], [1, k, n]), [k, n]) as tf.Tensor2D;
      products.push(tf.matMul(ai, bi));
    }
    out = tf.concat(products, 0);
  }
  return tf.reshape(out, [...outBatch, m, n]);
}

/**
 * One product `op(A) op(B)` with its transposes made explicit, oriented to move the fewest
 * elements: as written (copying each flagged operand), or as `(op(B)^T op(A)^T)^T` (copying
 * each unflagged operand and the result). The right operand also counts once more: XNNPACK
 * packs it on every call. E.g. `dx = dy W^T` for a `[64, 2048]` `dy` and a `[256, 2048]`
 * weight copies `dy` and a `[64, 256]` result instead of the whole weight.
 */
function singleProduct(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const n = transposeB ? b.shape[0] : b.shape[1];
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n;
  const swapped = (transposeA ? 0 : m * k) + (transposeB ? 0 : k * n) + m * n + k * m;
  if (direct <= swapped) return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
  // op(B)^T is b itself when transposed ([N, K]); op(A)^T is a itself when transposed ([K, M]).
  return tf.transpose(tf.matMul(transposeB ? b : tf.transpose(b), transposeA ? a : tf.transpose(a))) as tf.Tensor2D;
}

/**
 * `BatchMatMul` through {@link matMulAsPlainProducts}: registered for tfjs-backend-wasm for
 * the cases {@link isPlainMatMul} rejects; the plain products it issues go back to the
 * backend's own kernel. Inputs `a`, `b` (float32); attributes `transposeA`, `transposeB`.
 */
export const batchMatMulKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  return tf.tidy(() =>
    matMulAsPlainProducts(asTensor(inputs['a'], 'a'), asTensor(inputs['b'], 'b'), transposeA === true, transposeB === true),
  );
};
