import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@yonos/core/nn';
import { OptimizerStateError, TrainingArgumentError } from '../errors.js';
import { chunkElementsOf, packFlat, planChunks, unpackFlat } from './flat-chunks.js';
import type { FlatStorageOptions } from './flat-chunks.js';
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

/** Averages of trainable parameters kept end to end (1-D), updated with whole-chunk kernels. */
interface ShadowChunk {
  readonly names: readonly string[];
  readonly shadow: tf.Variable;
}

/**
 * Exponential moving average of a module's parameters, as diffusers' `EMAModel`: each
 * {@link Ema.update} does `shadow -= (1 - decay) * (shadow - param)` for trainable parameters
 * and copies frozen ones. The average is kept by parameter name, so it can be copied into any
 * module of the same structure. State round-trips exactly through
 * {@link Ema.exportState} / {@link Ema.importState}.
 *
 * The averages of trainable parameters live in flat chunks (see {@link FlatStorageOptions}):
 * an update concatenates the chunk's parameters and runs the three operations above once per
 * chunk, the same float32 operations per element as averaging each parameter on its own.
 */
export class Ema {
  /** Settings in effect, defaults filled in. */
  readonly options: Readonly<Required<EmaOptions>>;
  /** Updates done so far. */
  optimizationStep = 0;
  /** The decay of the last update (`undefined` before the first). */
  currentDecay: number | undefined;
  readonly #module: Module;
  readonly #chunkElements: number;
  /** Parameter names in order, with their native shapes. */
  readonly #shapes = new Map<string, readonly number[]>();
  #chunks: ShadowChunk[] = [];
  /** The averages of the parameters that were frozen at the last layout, one variable each. */
  readonly #loose = new Map<string, tf.Variable>();

  /**
   * Starts the average at the module's current weights.
   * @param module The module whose parameters are averaged (every parameter must have a value).
   * @param storage How the averages are laid out (chunk size; results do not depend on it).
   * @throws {@link TrainingArgumentError} for invalid options.
   */
  constructor(module: Module, options: EmaOptions = {}, storage: FlatStorageOptions = {}) {
    this.options = resolve(options);
    this.#chunkElements = chunkElementsOf('EMA', storage);
    this.#module = module;
    const params = module.namedParameters();
    for (const [name, p] of params) this.#shapes.set(name, [...p.shape]);
    tf.tidy(() => this.#layout(params, new Map(params.map(([name, p]) => [name, p.value]))));
  }

  /** The averaged parameter names, in parameter order. */
  get names(): string[] {
    return [...this.#shapes.keys()];
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
    if (!this.#fits(params)) tf.tidy(() => this.#layout(params, this.#shadowTensors()));
    const values = new Map(params.map(([name, p]) => [name, p.value]));
    tf.tidy(() => {
      for (const { names, shadow } of this.#chunks) {
        const p = packFlat(names.map((name) => values.get(name)!));
        const diff = tf.sub(shadow, p);
        p.dispose();
        const step = tf.mul(diff, oneMinusDecay);
        diff.dispose();
        shadow.assign(tf.sub(shadow, step));
        step.dispose();
      }
      for (const [name, s] of this.#loose) s.assign(values.get(name)!);
    });
  }

  /** Writes the averaged weights into `module` (default: the tracked one), e.g. before saving or validating. */
  copyTo(module: Module = this.#module): void {
    const params = this.#matching(module);
    tf.tidy(() => {
      const shadows = this.#shadowTensors();
      for (const [name, p] of params) p.assign(shadows.get(name)!);
    });
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
   * (int32 scalar). Every tensor is new: the caller disposes them all.
   */
  exportState(): Map<string, tf.Tensor> {
    const names = this.names;
    const shadows = tf.tidy(() => {
      const all = this.#shadowTensors();
      // The loose averages are this object's variables: hand out copies (they share buffers).
      return names.map((name) => (this.#loose.has(name) ? tf.clone(all.get(name)!) : all.get(name)!));
    });
    const out = new Map<string, tf.Tensor>();
    names.forEach((name, i) => out.set(`${SHADOW}/${name}`, shadows[i]!));
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
      (name) => this.#shapes.get(name),
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
      const value = (name: string): tf.Tensor => tf.cast(groups.get(name)!.get(SHADOW)!, 'float32');
      for (const { names, shadow } of this.#chunks) shadow.assign(packFlat(names.map(value)));
      for (const [name, s] of this.#loose) s.assign(value(name));
    });
    this.optimizationStep = step;
    this.currentDecay = step > 0 ? emaDecay(step, this.options) : undefined;
  }

  /** Frees the averaged weights. */
  dispose(): void {
    this.#disposeShadows();
  }

  #disposeShadows(): void {
    for (const { shadow } of this.#chunks) shadow.dispose();
    for (const s of this.#loose.values()) s.dispose();
    this.#chunks = [];
    this.#loose.clear();
  }

  /** Whether the chunks hold exactly the parameters that are trainable now (else the layout changes). */
  #fits(params: ReadonlyArray<[string, Parameter]>): boolean {
    return params.every(([name, p]) => p.trainable !== this.#loose.has(name));
  }

  /**
   * Lays the averages out anew from `values` (by name, native shapes): trainable parameters
   * into flat chunks, frozen ones into a variable each (their update is a copy, no kernel).
   * Call inside `tf.tidy`.
   */
  #layout(params: ReadonlyArray<[string, Parameter]>, values: ReadonlyMap<string, tf.Tensor>): void {
    const trainable = params.filter(([, p]) => p.trainable).map(([name]) => name);
    const chunks = planChunks(trainable, (name) => tf.util.sizeFromShape([...this.#shapes.get(name)!]), this.#chunkElements).map((names) => ({
      names,
      shadow: tf.variable(packFlat(names.map((name) => values.get(name)!)), false, undefined, 'float32'),
    }));
    const loose = params.filter(([, p]) => !p.trainable).map(([name]) => [name, tf.variable(tf.clone(values.get(name)!), false, undefined, 'float32')] as const);
    this.#disposeShadows();
    this.#chunks = chunks;
    for (const [name, s] of loose) this.#loose.set(name, s);
  }

  /**
   * The averages by name in native shapes: new tensors cut from the chunks (freed by the
   * enclosing `tf.tidy` unless returned) and the loose variables themselves.
   */
  #shadowTensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const { names, shadow } of this.#chunks) {
      const pieces = unpackFlat(shadow as tf.Tensor1D, names.map((name) => this.#shapes.get(name)!));
      names.forEach((name, i) => out.set(name, pieces[i]!));
    }
    for (const [name, s] of this.#loose) out.set(name, s);
    return out;
  }

  #matching(module: Module): Array<[string, Parameter]> {
    const params = module.namedParameters();
    const names = new Set(params.map(([n]) => n));
    const missing = this.names.filter((n) => !names.has(n));
    const extra = [...names].filter((n) => !this.#shapes.has(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new OptimizerStateError(
        `EMA: the module's parameters differ from the averaged ones (missing: ${missing.join(', ') || 'none'}; ` +
          `unexpected: ${extra.join(', ') || 'none'}); use a module of the same structure.`,
      );
    }
    return params;
  }
}

/** A module parameter, as `Module.namedParameters` lists it. */
type Parameter = ReturnType<Module['parameters']>[number];
