import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@yonos/core';
import { OptimizerStateError, TrainingArgumentError } from '../errors.js';
import { groupStateKeys, readCount } from './state-keys.js';

/** Options of {@link Ema}, with diffusers' `EMAModel` defaults. */
export interface EmaOptions {
  /** Upper bound of the decay (default 0.9999). */
  readonly decay?: number;
  /** Lower bound of the decay (default 0). */
  readonly minDecay?: number;
  /** Updates before averaging starts; until then the average copies the weights (default 0). */
  readonly updateAfterStep?: number;
  /** Use the `1 - (1 + s / invGamma)^-power` warmup instead of `(1 + s) / (10 + s)` (default false). */
  readonly useEmaWarmup?: boolean;
  /** Warmup scale (default 1). */
  readonly invGamma?: number;
  /** Warmup exponent (default 2/3). */
  readonly power?: number;
}

type ResolvedEmaOptions = Required<EmaOptions>;

function resolve(options: EmaOptions): ResolvedEmaOptions {
  const o: ResolvedEmaOptions = {
    decay: options.decay ?? 0.9999,
    minDecay: options.minDecay ?? 0,
    updateAfterStep: options.updateAfterStep ?? 0,
    useEmaWarmup: options.useEmaWarmup ?? false,
    invGamma: options.invGamma ?? 1,
    power: options.power ?? 2 / 3,
  };
  if (!(o.decay >= 0 && o.decay <= 1) || !(o.minDecay >= 0 && o.minDecay <= 1)) {
    throw new TrainingArgumentError(`EMA: decay and minDecay must be in [0, 1], got ${o.decay} and ${o.minDecay}.`);
  }
  if (!Number.isInteger(o.updateAfterStep) || o.updateAfterStep < 0) {
    throw new TrainingArgumentError(`EMA: updateAfterStep must be a non-negative integer, got ${o.updateAfterStep}.`);
  }
  if (!(o.invGamma > 0) || !Number.isFinite(o.power)) {
    throw new TrainingArgumentError(`EMA: invGamma must be > 0 and power finite, got ${o.invGamma} and ${o.power}.`);
  }
  return o;
}

/**
 * The decay diffusers' `EMAModel.get_decay` uses at update number `optimizationStep`
 * (1-based): 0 for the first `updateAfterStep + 1` updates, then `(1 + s) / (10 + s)` (or the
 * warmup curve) with `s = optimizationStep - updateAfterStep - 1`, clamped to `[minDecay, decay]`.
 */
export function emaDecay(optimizationStep: number, options: EmaOptions = {}): number {
  const o = resolve(options);
  const s = Math.max(0, optimizationStep - o.updateAfterStep - 1);
  if (s <= 0) return 0;
  const cur = o.useEmaWarmup ? 1 - (1 + s / o.invGamma) ** -o.power : (1 + s) / (10 + s);
  return Math.max(Math.min(cur, o.decay), o.minDecay);
}

const SHADOW = 'shadow';
const STEP_KEY = 'optimization_step';

/**
 * Exponential moving average of a module's parameters, as diffusers' `EMAModel`: each
 * {@link Ema.update} does `shadow -= (1 - decay) * (shadow - param)` for trainable parameters
 * and copies frozen ones. The average is kept by parameter name, so it can be copied into any
 * module of the same structure. State round-trips exactly through
 * {@link Ema.exportState} / {@link Ema.importState}.
 */
export class Ema {
  /** Settings in effect, defaults filled in. */
  readonly options: Readonly<Required<EmaOptions>>;
  /** Updates done so far. */
  optimizationStep = 0;
  /** The decay of the last update (`undefined` before the first). */
  currentDecay: number | undefined;
  readonly #module: Module;
  readonly #shadow = new Map<string, tf.Variable>();

  /**
   * Starts the average at the module's current weights.
   * @param module The module whose parameters are averaged (every parameter must have a value).
   * @throws {@link TrainingArgumentError} for invalid options.
   */
  constructor(module: Module, options: EmaOptions = {}) {
    this.options = resolve(options);
    this.#module = module;
    for (const [name, p] of module.namedParameters()) {
      this.#shadow.set(name, tf.tidy(() => tf.variable(tf.clone(p.value), false, undefined, 'float32')));
    }
  }

  /** The averaged parameter names, in parameter order. */
  get names(): string[] {
    return [...this.#shadow.keys()];
  }

  /**
   * One EMA update from the tracked module's parameters (or another module's with the same
   * names), after an optimizer step.
   * @throws {@link OptimizerStateError} if the module's parameters differ from the averaged ones.
   */
  update(module: Module = this.#module): void {
    const params = this.#matching(module);
    this.optimizationStep += 1;
    const decay = emaDecay(this.optimizationStep, this.options);
    this.currentDecay = decay;
    const oneMinusDecay = 1 - decay;
    tf.tidy(() => {
      for (const [name, p] of params) {
        const s = this.#shadow.get(name)!;
        s.assign(p.trainable ? tf.sub(s, tf.mul(tf.sub(s, p.value), oneMinusDecay)) : p.value);
      }
    });
  }

  /** Writes the averaged weights into `module` (default: the tracked one), e.g. before saving or validating. */
  copyTo(module: Module = this.#module): void {
    const params = this.#matching(module);
    for (const [name, p] of params) p.assign(this.#shadow.get(name)!);
  }

  /**
   * Runs `fn` with the averaged weights in `module`, then puts the training weights back
   * (also when `fn` throws). The saved weights share buffers, so this costs no copy.
   */
  async withAveraged<T>(fn: () => T | Promise<T>, module: Module = this.#module): Promise<T> {
    const params = this.#matching(module);
    const saved = params.map(([, p]) => tf.clone(p.value));
    try {
      this.copyTo(module);
      return await fn();
    } finally {
      params.forEach(([, p], i) => p.assign(saved[i]!));
      tf.dispose(saved);
    }
  }

  /**
   * `shadow/<name>` (float32, native layout) for every parameter and `optimization_step`
   * (int32 scalar). Every tensor is new (sharing buffers with the live average): the caller
   * disposes them all.
   */
  exportState(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, s] of this.#shadow) out.set(`${SHADOW}/${name}`, tf.clone(s));
    out.set(STEP_KEY, tf.scalar(this.optimizationStep, 'int32'));
    return out;
  }

  /**
   * Restores a state from {@link Ema.exportState} (copied; the caller keeps `state`).
   * @throws {@link OptimizerStateError} for missing, unknown or mis-shaped entries; nothing changes then.
   */
  async importState(state: ReadonlyMap<string, tf.Tensor>): Promise<void> {
    const groups = groupStateKeys(
      'EMA',
      state,
      [SHADOW],
      (name) => this.#shadow.get(name)?.shape,
      (_kind, shape) => shape,
      [STEP_KEY],
    );
    const missing = this.names.filter((name) => !groups.has(name));
    const stepTensor = state.get(STEP_KEY);
    if (missing.length > 0 || stepTensor === undefined) {
      throw new OptimizerStateError(
        `EMA state is incomplete (missing: ${[...missing.map((n) => `${SHADOW}/${n}`), ...(stepTensor === undefined ? [STEP_KEY] : [])].join(', ')}); ` +
          'load the state saved with the same model.',
      );
    }
    const step = await readCount('EMA', STEP_KEY, stepTensor);
    tf.tidy(() => {
      for (const [name, g] of groups) this.#shadow.get(name)!.assign(tf.cast(g.get(SHADOW)!, 'float32'));
    });
    this.optimizationStep = step;
    this.currentDecay = step > 0 ? emaDecay(step, this.options) : undefined;
  }

  /** Frees the averaged weights. */
  dispose(): void {
    for (const s of this.#shadow.values()) s.dispose();
    this.#shadow.clear();
  }

  #matching(module: Module): Array<[string, ReturnType<Module['parameters']>[number]]> {
    const params = module.namedParameters();
    const names = new Set(params.map(([n]) => n));
    const missing = this.names.filter((n) => !names.has(n));
    const extra = [...names].filter((n) => !this.#shadow.has(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new OptimizerStateError(
        `EMA: the module's parameters differ from the averaged ones (missing: ${missing.join(', ') || 'none'}; ` +
          `unexpected: ${extra.join(', ') || 'none'}); use a module of the same structure.`,
      );
    }
    return params;
  }
}
