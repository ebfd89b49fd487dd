import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { NnArgumentError, UninitializedParameterError } from './errors.js';
import type { Initializer } from './init.js';
import { torchShapeOf } from './layout.js';
import type { LayoutKind } from './layout.js';

/** How a {@link Parameter} is declared. */
export interface ParameterOptions {
  /** PyTorch layout kind, for state dicts in torch layout (default `'plain'`). */
  readonly layout?: LayoutKind;
  /** Makes the initial value in {@link Module.initialize}. */
  readonly init: Initializer;
  /** Whether optimizers update it (default `true`); see {@link Module.freeze}. */
  readonly trainable?: boolean;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * One learnable tensor of a module, declared by shape only. It does not know its name: the
 * name is the attribute path to it from the module it is reached from.
 *
 * Its value, a float32 `tf.Variable` in native layout, does not exist until
 * {@link Parameter.initialize} or {@link Parameter.assign} (normally through
 * `module.initialize(rng)` or `module.loadStateDict(dict)`), so building even a 3 GB model
 * allocates nothing. The parameter owns the variable; {@link Parameter.dispose} frees it.
 */
export class Parameter {
  /** Native shape (conv weights HWIO `[kh, kw, in, out]`, linear weights `[in, out]`). */
  readonly shape: readonly number[];
  /** PyTorch layout kind, used to convert at the state-dict boundary. */
  readonly layout: LayoutKind;
  /** Makes the initial value. */
  readonly init: Initializer;
  #trainable: boolean;
  #variable: tf.Variable | null = null;

  /**
   * @param shape Native shape (see {@link Parameter.shape}).
   * @throws {@link NnArgumentError} for a shape that is not made of non-negative integers.
   */
  constructor(shape: readonly number[], options: ParameterOptions) {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new NnArgumentError(`Parameter shape [${shape.join(', ')}] is invalid: use non-negative integers.`);
    }
    this.shape = Object.freeze([...shape]);
    this.layout = options.layout ?? 'plain';
    this.init = options.init;
    this.#trainable = options.trainable ?? true;
  }

  /** The shape this parameter has in a PyTorch state dict. */
  get torchShape(): number[] {
    return torchShapeOf(this.layout, this.shape);
  }

  /** Number of scalars. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Whether the value exists. */
  get isInitialized(): boolean {
    return this.#variable !== null;
  }

  /**
   * The value: a float32 `tf.Variable` of {@link Parameter.shape}, owned by this parameter
   * (do not dispose it).
   * @throws {@link UninitializedParameterError} before initialization or loading.
   */
  get value(): tf.Variable {
    if (this.#variable === null) {
      throw new UninitializedParameterError(
        `A parameter (shape [${this.shape.join(', ')}], layout '${this.layout}') has no value yet: ` +
          'call model.initialize(rng) or model.loadStateDict(dict) before using the model.',
      );
    }
    return this.#variable;
  }

  /** Whether optimizers should update it. Kept in sync with the variable's own `trainable` flag. */
  get trainable(): boolean {
    return this.#trainable;
  }

  /** Sets whether optimizers update it, and the variable's own `trainable` flag when the value exists. */
  set trainable(value: boolean) {
    this.#trainable = value;
    if (this.#variable !== null) this.#variable.trainable = value;
  }

  /** Sets the value from {@link Parameter.init} with `rng` (replacing any previous value). */
  initialize(rng: Rng): void {
    const value = this.init(this.shape, rng);
    try {
      this.assign(value);
    } finally {
      value.dispose();
    }
  }

  /**
   * Sets the value from a native-layout tensor of {@link Parameter.shape}, cast to float32.
   * Does not take ownership of `value`: the caller may dispose it afterwards.
   * @throws {@link NnArgumentError} if the shape differs.
   */
  assign(value: tf.Tensor): void {
    if (!sameShape(value.shape, this.shape)) {
      throw new NnArgumentError(
        `Cannot assign a tensor of shape [${value.shape.join(', ')}] to a parameter of shape [${this.shape.join(', ')}].`,
      );
    }
    const f32 = value.dtype === 'float32' ? value : tf.cast(value, 'float32');
    try {
      if (this.#variable === null) {
        // The variable shares f32's buffer (ref-counted), so disposing f32 below is safe.
        this.#variable = tf.variable(f32, this.#trainable);
      } else {
        this.#variable.assign(f32);
      }
    } finally {
      if (f32 !== value) f32.dispose();
    }
  }

  /** Frees the value; the parameter becomes uninitialized again. */
  dispose(): void {
    if (this.#variable !== null) {
      this.#variable.dispose();
      this.#variable = null;
    }
  }
}
