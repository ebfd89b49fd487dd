import * as tf from '@tensorflow/tfjs-core';
import { OptimizerStateError, TrainingArgumentError } from '../errors.js';
import { toNamedVariables } from '../named-variables.js';
import type { NamedVariables } from '../named-variables.js';
import { groupStateKeys, readCount } from './state-keys.js';

/** Options of {@link AdamW}, with PyTorch's defaults. */
export interface AdamWOptions {
  /** Learning rate (default `1e-3`); change it per step through {@link AdamW.lr}. */
  readonly lr?: number;
  /** `[beta1, beta2]`, the moment decay rates (default `[0.9, 0.999]`). */
  readonly betas?: readonly [number, number];
  /** Added to `sqrt(v_hat)` (default `1e-8`). */
  readonly eps?: number;
  /** Decoupled weight decay (default `1e-2`): each step first scales the weight by `1 - lr * weightDecay`. */
  readonly weightDecay?: number;
  /** Names of variables that get no weight decay (for example biases and norms); default none. */
  readonly noWeightDecay?: (name: string) => boolean;
}

/** {@link AdamW}'s hyperparameters as plain values (see {@link AdamW.hyperparameters}). */
export interface AdamWHyperparameters {
  /** Learning rate of the next step. */
  lr: number;
  /** Decay rate of the first-moment (mean) estimate, in `[0, 1)`. */
  beta1: number;
  /** Decay rate of the second-moment (uncentered variance) estimate, in `[0, 1)`. */
  beta2: number;
  /** Added to the denominator `sqrt(v_hat)` for numerical stability. */
  eps: number;
  /** Decoupled weight-decay coefficient (each step scales weights by `1 - lr * weightDecay`). */
  weightDecay: number;
}

/** Per-variable state, created on the variable's first update as in PyTorch. */
interface Slot {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  step: number;
}

/** A state-dict key for one kind of per-variable state. */
const EXP_AVG = 'exp_avg';
const EXP_AVG_SQ = 'exp_avg_sq';
const STEP = 'step';

/** A non-trainable float32 variable of zeros shaped like `p` (the temporary zeros are freed). */
function zeroVariable(p: tf.Variable): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(p), false));
}

function checkRange(name: string, value: number, ok: boolean, what: string): void {
  if (!Number.isFinite(value) || !ok) throw new TrainingArgumentError(`AdamW: ${name} must be ${what}, got ${value}.`);
}

/**
 * AdamW with `torch.optim.AdamW` semantics (single-tensor path, no amsgrad): for each variable
 * with a gradient, `t += 1`, then
 * ```
 * p  *= 1 - lr * weightDecay                      (decoupled decay)
 * m   = lerp(m, g, 1 - beta1)
 * v   = beta2 * v + (1 - beta2) * g * g
 * p  -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * ```
 * Bias corrections are computed on the host in float64, tensors in float32. Variables with no
 * gradient in a step are left alone and keep their own step count, as PyTorch does.
 *
 * State (per variable: `exp_avg/<name>`, `exp_avg_sq/<name>` float32 of the variable's shape,
 * `step/<name>` int32 scalar) round-trips through {@link AdamW.exportState} and
 * {@link AdamW.importState} exactly, so a resumed run continues bit for bit.
 */
export class AdamW {
  /** Learning rate of the next {@link AdamW.step}; a schedule sets it before each step. */
  lr: number;
  /** Decay rate of the first-moment (mean) estimate `m`, in `[0, 1)`. */
  readonly beta1: number;
  /** Decay rate of the second-moment estimate `v` (mean squared gradient), in `[0, 1)`. */
  readonly beta2: number;
  /** Added to `sqrt(v_hat)` in the denominator, `>= 0`. */
  readonly eps: number;
  /** Decoupled weight-decay coefficient, `>= 0` (not applied to variables excluded by `noWeightDecay`). */
  readonly weightDecay: number;
  readonly #variables: Map<string, tf.Variable>;
  readonly #decays: Map<string, boolean>;
  readonly #slots = new Map<string, Slot>();

  /**
   * @param variables The variables to optimize, by stable name (see `namedVariables`), or an
   *   array (named `'0'`, `'1'`, ...). They stay owned by their modules.
   * @throws {@link TrainingArgumentError} for out-of-range hyperparameters.
   */
  constructor(variables: NamedVariables | readonly tf.Variable[], options: AdamWOptions = {}) {
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    checkRange('lr', this.lr, this.lr >= 0, '>= 0');
    checkRange('beta1', this.beta1, this.beta1 >= 0 && this.beta1 < 1, 'in [0, 1)');
    checkRange('beta2', this.beta2, this.beta2 >= 0 && this.beta2 < 1, 'in [0, 1)');
    checkRange('eps', this.eps, this.eps >= 0, '>= 0');
    checkRange('weightDecay', this.weightDecay, this.weightDecay >= 0, '>= 0');
    this.#variables = toNamedVariables(variables);
    const noDecay = options.noWeightDecay ?? (() => false);
    this.#decays = new Map([...this.#variables.keys()].map((name) => [name, !noDecay(name)]));
  }

  /** The names of the optimized variables, in order. */
  get names(): string[] {
    return [...this.#variables.keys()];
  }

  /** The optimized variables by name (owned by their modules). */
  get variables(): NamedVariables {
    return this.#variables;
  }

  /** How many updates variable `name` has received (0 before its first). */
  stepCount(name: string): number {
    return this.#slots.get(name)?.step ?? 0;
  }

  /** Hyperparameters as plain values (for logs and checkpoint metadata). */
  get hyperparameters(): AdamWHyperparameters {
    return { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  /**
   * One update with the current {@link AdamW.lr}.
   * @param grads Gradients by variable name, each of its variable's shape (float32); a missing
   *   or `null` entry leaves that variable untouched. Not disposed: the caller owns them.
   * @throws {@link TrainingArgumentError} for a gradient of an unknown name or the wrong shape
   *   (nothing is updated then), or a negative/non-finite `lr`.
   */
  step(grads: ReadonlyMap<string, tf.Tensor | null | undefined>): void {
    checkRange('lr', this.lr, this.lr >= 0, '>= 0');
    const updates: Array<[string, tf.Variable, tf.Tensor]> = [];
    for (const [name, g] of grads) {
      const p = this.#variables.get(name);
      if (p === undefined) {
        throw new TrainingArgumentError(`AdamW.step: gradient for unknown variable '${name}'; pass gradients keyed by the optimizer's names.`);
      }
      if (g == null) continue;
      if (g.shape.length !== p.shape.length || g.shape.some((d, i) => d !== p.shape[i])) {
        throw new TrainingArgumentError(
          `AdamW.step: gradient of '${name}' has shape [${g.shape.join(', ')}], the variable [${p.shape.join(', ')}].`,
        );
      }
      updates.push([name, p, g]);
    }
    for (const [name, p, g] of updates) this.#update(name, p, g);
  }

  #update(name: string, p: tf.Variable, g: tf.Tensor): void {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      slot = { m: zeroVariable(p), v: zeroVariable(p), step: 0 };
      this.#slots.set(name, slot);
    }
    slot.step += 1;
    const t = slot.step;
    const { m, v } = slot;
    const lr = this.lr;
    const decay = this.#decays.get(name) === true ? 1 - lr * this.weightDecay : 1;
    const stepSize = lr / (1 - this.beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    tf.tidy(() => {
      const decayed = decay === 1 ? p : tf.mul(p, decay);
      const m1 = tf.add(m, tf.mul(tf.sub(g, m), 1 - this.beta1));
      const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.mul(g, g), 1 - this.beta2));
      const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), this.eps);
      const p1 = tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize));
      m.assign(m1);
      v.assign(v1);
      p.assign(p1);
    });
  }

  /**
   * The state as tensors for a safetensors file: `exp_avg/<name>`, `exp_avg_sq/<name>`
   * (float32) and `step/<name>` (int32 scalar) for every variable updated at least once.
   * Every tensor is new (moments share their buffers with the live state, so this is cheap):
   * the caller disposes them all.
   */
  exportState(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.#slots) {
      out.set(`${EXP_AVG}/${name}`, tf.clone(slot.m));
      out.set(`${EXP_AVG_SQ}/${name}`, tf.clone(slot.v));
      out.set(`${STEP}/${name}`, tf.scalar(slot.step, 'int32'));
    }
    return out;
  }

  /**
   * Replaces the state with one from {@link AdamW.exportState} (values are copied; the caller
   * still owns `state`). Variables absent from `state` start fresh. Checked before anything
   * changes.
   * @throws {@link OptimizerStateError} for unknown names, mis-shaped tensors, a variable with
   *   only part of its state, or a step that is not a non-negative integer.
   */
  async importState(state: ReadonlyMap<string, tf.Tensor>): Promise<void> {
    const groups = groupStateKeys(
      'AdamW',
      state,
      [EXP_AVG, EXP_AVG_SQ, STEP],
      (name) => this.#variables.get(name)?.shape,
      (kind, shape) => (kind === STEP ? [] : shape),
    );
    const incomplete = [...groups].filter(([, g]) => g.size !== 3).map(([name]) => name);
    if (incomplete.length > 0) {
      throw new OptimizerStateError(
        `AdamW state is incomplete for ${incomplete.join(', ')}: each variable needs exp_avg, exp_avg_sq and step.`,
      );
    }
    const steps = new Map<string, number>();
    for (const [name, g] of groups) steps.set(name, await readCount('AdamW', `${STEP}/${name}`, g.get(STEP)!));
    this.#disposeSlots();
    for (const [name, g] of groups) {
      const m = tf.tidy(() => tf.variable(tf.cast(g.get(EXP_AVG)!, 'float32'), false));
      const v = tf.tidy(() => tf.variable(tf.cast(g.get(EXP_AVG_SQ)!, 'float32'), false));
      this.#slots.set(name, { m, v, step: steps.get(name)! });
    }
  }

  /** Frees the moments; the optimizer can go on (state restarts from zero) or be dropped. */
  dispose(): void {
    this.#disposeSlots();
  }

  #disposeSlots(): void {
    for (const slot of this.#slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.#slots.clear();
  }
}
