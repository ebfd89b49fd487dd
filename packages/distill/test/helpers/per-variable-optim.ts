// The optimizer path as it was before the multi-tensor rewrite: AdamW, EMA, the global norm,
// clipping and accumulation one variable at a time. The flat implementations must match it
// bit for bit; `variant` breaks it on purpose for the controls.
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@yonos/core/nn';
import { emaDecay } from '../../src/index.js';
import type { EmaOptions, GradientMap } from '../../src/index.js';

/** Deliberate deviations, for controls that show the bit-identity checks can fail. */
export type ReferenceVariant =
  | 'exact'
  /** Weight decay applied after the Adam step instead of before. */
  | 'decay-after'
  /** `sqrt(v / bc2)` instead of `sqrt(v) / sqrt(bc2)` (equal in exact arithmetic). */
  | 'bias-inside-sqrt'
  /** The first-moment bias correction folded into `m` instead of the step size. */
  | 'bias-on-m';

interface Slot {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  step: number;
}

/** Single-tensor AdamW (the previous `AdamW.step`), with the same hyperparameters. */
export class PerVariableAdamW {
  lr: number;
  readonly #b1: number;
  readonly #b2: number;
  readonly #eps: number;
  readonly #wd: number;
  readonly #variables: ReadonlyMap<string, tf.Variable>;
  readonly #noDecay: (name: string) => boolean;
  readonly #variant: ReferenceVariant;
  readonly #slots = new Map<string, Slot>();

  constructor(
    variables: ReadonlyMap<string, tf.Variable>,
    o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; noWeightDecay?: (name: string) => boolean },
    variant: ReferenceVariant = 'exact',
  ) {
    this.lr = o.lr;
    [this.#b1, this.#b2] = o.betas ?? [0.9, 0.999];
    this.#eps = o.eps ?? 1e-8;
    this.#wd = o.weightDecay ?? 1e-2;
    this.#variables = variables;
    this.#noDecay = o.noWeightDecay ?? (() => false);
    this.#variant = variant;
  }

  stepCount(name: string): number {
    return this.#slots.get(name)?.step ?? 0;
  }

  step(grads: GradientMap, gradScale?: tf.Scalar): void {
    for (const [name, g] of grads) {
      if (g == null) continue;
      const p = this.#variables.get(name)!;
      if (gradScale === undefined) this.#update(name, p, g);
      else tf.tidy(() => this.#update(name, p, tf.mul(g, gradScale)));
    }
  }

  #update(name: string, p: tf.Variable, g: tf.Tensor): void {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      slot = { m: tf.tidy(() => tf.variable(tf.zerosLike(p), false)), v: tf.tidy(() => tf.variable(tf.zerosLike(p), false)), step: 0 };
      this.#slots.set(name, slot);
    }
    slot.step += 1;
    const t = slot.step;
    const { m, v } = slot;
    const lr = this.lr;
    const decay = this.#noDecay(name) ? 1 : 1 - lr * this.#wd;
    const bc1 = 1 - this.#b1 ** t;
    const bc2 = 1 - this.#b2 ** t;
    const stepSize = this.#variant === 'bias-on-m' ? lr : lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    tf.tidy(() => {
      const decayed = decay === 1 || this.#variant === 'decay-after' ? p : tf.mul(p, decay);
      const m1 = tf.add(m, tf.mul(tf.sub(g, m), 1 - this.#b1));
      const v1 = tf.add(tf.mul(v, this.#b2), tf.mul(tf.mul(g, g), 1 - this.#b2));
      const root = this.#variant === 'bias-inside-sqrt' ? tf.sqrt(tf.div(v1, bc2)) : tf.div(tf.sqrt(v1), bc2Sqrt);
      const denom = tf.add(root, this.#eps);
      const mHat = this.#variant === 'bias-on-m' ? tf.div(m1, bc1) : m1;
      let p1 = tf.sub(decayed, tf.mul(tf.div(mHat, denom), stepSize));
      if (this.#variant === 'decay-after' && decay !== 1) p1 = tf.mul(p1, decay);
      m.assign(m1);
      v.assign(v1);
      p.assign(p1);
    });
  }

  /** `exp_avg/<name>`, `exp_avg_sq/<name>`, `step/<name>`, as the previous `exportState`. */
  exportState(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, slot] of this.#slots) {
      out.set(`exp_avg/${name}`, tf.clone(slot.m));
      out.set(`exp_avg_sq/${name}`, tf.clone(slot.v));
      out.set(`step/${name}`, tf.scalar(slot.step, 'int32'));
    }
    return out;
  }

  /** Takes the slots from a state map (copies), as the previous `importState` did after its checks. */
  importState(state: ReadonlyMap<string, tf.Tensor>): void {
    this.dispose();
    for (const [key, m] of state) {
      if (!key.startsWith('exp_avg/')) continue;
      const name = key.slice('exp_avg/'.length);
      this.#slots.set(name, {
        m: tf.tidy(() => tf.variable(tf.cast(m, 'float32'), false)),
        v: tf.tidy(() => tf.variable(tf.cast(state.get(`exp_avg_sq/${name}`)!, 'float32'), false)),
        step: state.get(`step/${name}`)!.dataSync()[0]!,
      });
    }
  }

  dispose(): void {
    for (const slot of this.#slots.values()) tf.dispose([slot.m, slot.v]);
    this.#slots.clear();
  }
}

/** The previous `Ema.update`: one average per parameter. */
export class PerVariableEma {
  step = 0;
  readonly #options: EmaOptions;
  readonly #shadow = new Map<string, tf.Variable>();

  constructor(module: Module, options: EmaOptions) {
    this.#options = options;
    for (const [name, p] of module.namedParameters()) {
      this.#shadow.set(name, tf.tidy(() => tf.variable(tf.clone(p.value), false, undefined, 'float32')));
    }
  }

  update(module: Module): void {
    this.step += 1;
    const oneMinusDecay = 1 - emaDecay(this.step, this.#options);
    tf.tidy(() => {
      for (const [name, p] of module.namedParameters()) {
        const s = this.#shadow.get(name)!;
        s.assign(p.trainable ? tf.sub(s, tf.mul(tf.sub(s, p.value), oneMinusDecay)) : p.value);
      }
    });
  }

  /** Takes the averages and the step count from a state map (copies). */
  importState(state: ReadonlyMap<string, tf.Tensor>): void {
    tf.tidy(() => {
      for (const [name, s] of this.#shadow) s.assign(tf.cast(state.get(`shadow/${name}`)!, 'float32'));
    });
    this.step = state.get('optimization_step')!.dataSync()[0]!;
  }

  /** `shadow/<name>` and `optimization_step`, as the previous `exportState`. */
  exportState(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, s] of this.#shadow) out.set(`shadow/${name}`, tf.clone(s));
    out.set('optimization_step', tf.scalar(this.step, 'int32'));
    return out;
  }

  dispose(): void {
    tf.dispose([...this.#shadow.values()]);
    this.#shadow.clear();
  }
}

/** The previous `globalGradNorm`: norms one tensor at a time, then the norm of the norms. */
export function perVariableGlobalGradNorm(grads: GradientMap): tf.Scalar {
  return tf.tidy(() => {
    const norms = [...grads.values()].filter((g): g is tf.Tensor => g != null).map((g) => tf.sqrt(tf.sum(tf.square(g))));
    if (norms.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.sum(tf.square(tf.stack(norms)))) as tf.Scalar;
  });
}

/** The previous clipping factor, `min(1, maxNorm / (norm + 1e-6))`. */
export function perVariableClipFactor(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1));
}

/**
 * The previous training step after the micro-batches: mean gradients (per variable), global
 * norm, clipping factor, AdamW with the scaled gradients, EMA. Returns the loss and the norm.
 */
export async function perVariableStep(
  o: {
    variables: ReadonlyMap<string, tf.Variable>;
    optimizer: PerVariableAdamW;
    ema: PerVariableEma;
    module: Module;
    lr: number;
    clipNorm: number | undefined;
  },
  microLosses: ReadonlyArray<() => tf.Scalar>,
): Promise<{ loss: number; gradNorm: number }> {
  const byTfName = new Map([...o.variables].map(([name, v]) => [v.name, name]));
  const sums = new Map<string, tf.Tensor>();
  let lossSum: tf.Scalar | null = null;
  for (const lossFn of microLosses) {
    const { value, grads } = tf.variableGrads(lossFn, [...o.variables.values()]);
    for (const [tfName, g] of Object.entries(grads)) {
      const name = byTfName.get(tfName)!;
      const previous = sums.get(name);
      sums.set(name, previous === undefined ? tf.clone(g) : tf.add(previous, g));
      previous?.dispose();
    }
    const before: tf.Scalar | null = lossSum;
    lossSum = (before === null ? tf.clone(value) : tf.add(before, value)) as tf.Scalar;
    before?.dispose();
    tf.dispose([value, ...Object.values(grads)]);
  }
  const count = microLosses.length;
  const means = new Map([...sums].map(([name, s]) => [name, count === 1 ? tf.clone(s) : tf.div(s, count)]));
  const loss = tf.div(lossSum!, count) as tf.Scalar;
  tf.dispose([lossSum!, ...sums.values()]);
  const norm = perVariableGlobalGradNorm(means);
  const factor = o.clipNorm === undefined ? undefined : perVariableClipFactor(norm, o.clipNorm);
  const [lossValue, normValue] = [(await loss.data())[0]!, (await norm.data())[0]!];
  o.optimizer.lr = o.lr;
  o.optimizer.step(means, factor);
  o.ema.update(o.module);
  tf.dispose([loss, norm, ...means.values(), ...(factor !== undefined ? [factor] : [])]);
  return { loss: lossValue, gradNorm: normValue };
}
