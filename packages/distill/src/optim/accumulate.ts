import * as tf from '@tensorflow/tfjs-core';
import { TrainingArgumentError } from '../errors.js';
import { toNamedVariables } from '../named-variables.js';
import type { NamedVariables } from '../named-variables.js';

/** Mean loss and mean gradients over the micro-batches added. The caller owns every tensor. */
export interface AccumulatedGradients {
  /** Mean of the micro-batch losses, float32 scalar. */
  readonly loss: tf.Scalar;
  /** Mean gradient per variable name; variables that never got a gradient are absent. */
  readonly grads: Map<string, tf.Tensor>;
  /** Micro-batches averaged. */
  readonly count: number;
}

/**
 * Gradient accumulation: {@link GradientAccumulator.add} runs one micro-batch's loss under
 * `tf.variableGrads` and adds its gradients to running sums; {@link GradientAccumulator.take}
 * returns the means and starts over. With micro-batch losses that are batch means, `k` equal
 * micro-batches give the gradient of the whole batch (up to float32 rounding); one micro-batch
 * gives exactly its own gradient (the mean divides by 1).
 */
export class GradientAccumulator {
  readonly #byTfName = new Map<string, string>();
  readonly #variables: tf.Variable[];
  readonly #sums = new Map<string, tf.Tensor>();
  #lossSum: tf.Scalar | null = null;
  #count = 0;

  /** @param variables The variables to differentiate, by stable name (or an array, named by index). */
  constructor(variables: NamedVariables | readonly tf.Variable[]) {
    const named = toNamedVariables(variables);
    this.#variables = [...named.values()];
    for (const [name, v] of named) this.#byTfName.set(v.name, name);
  }

  /** Micro-batches added since the last {@link GradientAccumulator.take}. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one micro-batch: runs `lossFn` (tf ops only; its intermediates are freed) and sums
   * its gradients. Frozen variables (`trainable = false`) and variables the loss does not use
   * get no gradient.
   * @param lossFn Returns a float32 scalar, typically the micro-batch's mean loss.
   * @throws Error from tfjs if `lossFn` returns no scalar or uses none of the variables.
   */
  add(lossFn: () => tf.Scalar): void {
    const { value, grads } = tf.variableGrads(lossFn, this.#variables);
    // A first gradient becomes the running sum itself (no copy, no kernel); the rest are freed.
    const pending = new Set<tf.Tensor>([value]);
    const kept = new Set<tf.Tensor>();
    const keep = (t: tf.Tensor): tf.Tensor => {
      if (kept.has(t)) return tf.clone(t);
      kept.add(t);
      pending.delete(t);
      return t;
    };
    try {
      for (const [tfName, g] of Object.entries(grads)) {
        if (g == null) continue;
        if (!kept.has(g)) pending.add(g);
        const name = this.#byTfName.get(tfName)!;
        const previous = this.#sums.get(name);
        this.#sums.set(name, previous === undefined ? keep(g) : tf.add(previous, g));
        previous?.dispose();
      }
      const lossBefore = this.#lossSum;
      this.#lossSum = (lossBefore === null ? keep(value) : tf.add(lossBefore, value)) as tf.Scalar;
      lossBefore?.dispose();
      this.#count += 1;
    } finally {
      tf.dispose([...pending]);
    }
  }

  /**
   * The means over the micro-batches added, then a fresh start.
   * @throws {@link TrainingArgumentError} if nothing was added.
   */
  take(): AccumulatedGradients {
    if (this.#count === 0 || this.#lossSum === null) {
      throw new TrainingArgumentError('GradientAccumulator.take: add at least one micro-batch first.');
    }
    const count = this.#count;
    const lossSum = this.#lossSum;
    const names = [...this.#sums.keys()];
    const sums = [...this.#sums.values()];
    if (count === 1) {
      // One micro-batch: its sums are the means (x / 1 = x) and are handed over as they are.
      this.#sums.clear();
      this.#lossSum = null;
      this.#count = 0;
      return { loss: lossSum, grads: new Map(names.map((n, i) => [n, sums[i]!])), count };
    }
    const { loss, means } = tf.tidy(() => ({
      loss: tf.div(lossSum, count) as tf.Scalar,
      means: sums.map((s) => tf.div(s, count)),
    }));
    this.reset();
    return { loss, grads: new Map(names.map((n, i) => [n, means[i]!])), count };
  }

  /** Drops what was added (frees the running sums). */
  reset(): void {
    tf.dispose([...this.#sums.values()]);
    this.#sums.clear();
    this.#lossSum?.dispose();
    this.#lossSum = null;
    this.#count = 0;
  }
}
