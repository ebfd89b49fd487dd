import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import { NnArgumentError } from './errors.js';
import type { StateDictLayout } from './layout.js';
import { Parameter } from './parameter.js';
import { collectStateDict, expectedShapesOf, loadIntoModule } from './state-dict.js';
import type { LoadStateDictOptions, StateDictInput } from './state-dict.js';

/** Options of {@link Module.initialize}. */
export interface InitializeOptions {
  /** Only give values to parameters that have none (e.g. after a non-strict load). Default `false`. */
  readonly onlyMissing?: boolean;
}

/**
 * Base class of every layer and model. NHWC inside.
 *
 * Parameters ({@link Parameter}) and submodules are ordinary enumerable properties, and a
 * parameter's name is the attribute path to it: a `ResnetBlock2D` stored as `resnets[0]` of
 * `down_blocks[0]` owns `down_blocks.0.resnets.0.conv1.weight`. So property names use
 * diffusers' snake_case names, and lists of modules are {@link ModuleList}s (names `0`, `1`,
 * ...). Loading a diffusers checkpoint is then a walk, with no mapping table. Properties that
 * hold other values (numbers, strings, functions, `null`) and private `#fields` are ignored,
 * so a module must not keep a non-owned module in a public property.
 *
 * Construction is shape-only and allocates no tensor; values come from
 * {@link Module.initialize} or {@link Module.loadStateDict}. Modules start in eval mode
 * (unlike PyTorch) because training mode needs a generator: see {@link Module.train}.
 */
export class Module {
  /** Training mode (dropout active); set by {@link Module.train} / {@link Module.eval}. */
  training = false;

  /**
   * This module's direct parameters and submodules, in property order.
   * @throws {@link NnArgumentError} if a property holds a plain array of modules (use {@link ModuleList}).
   */
  namedChildren(): Array<[string, Module | Parameter]> {
    const out: Array<[string, Module | Parameter]> = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module || value instanceof Parameter) {
        out.push([key, value]);
      } else if (Array.isArray(value) && value.some((v) => v instanceof Module || v instanceof Parameter)) {
        throw new NnArgumentError(
          `${this.constructor.name}.${key} is a plain array of modules/parameters, which the name walk cannot see: ` +
            'store it as a ModuleList so its items are named `' + key + '.0`, `' + key + '.1`, ...',
        );
      }
    }
    return out;
  }

  /**
   * Every module in the tree with its path (this module first, as `''`), depth first in
   * property order. A module reachable twice is listed once, under its first path.
   */
  namedModules(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    const seen = new Set<Module>();
    const visit = (module: Module, path: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([path, module]);
      for (const [key, child] of module.namedChildren()) {
        if (child instanceof Module) visit(child, path === '' ? key : `${path}.${key}`);
      }
    };
    visit(this, '');
    return out;
  }

  /**
   * Every parameter with its name (attribute path, e.g. `mid_block.attentions.0.to_q.weight`),
   * in PyTorch's order: each module's own parameters, then its submodules', in property order.
   * A parameter reachable twice is listed once, under its first name.
   */
  namedParameters(): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    const seen = new Set<Parameter>();
    for (const [path, module] of this.namedModules()) {
      for (const [key, child] of module.namedChildren()) {
        if (child instanceof Parameter && !seen.has(child)) {
          seen.add(child);
          out.push([path === '' ? key : `${path}.${key}`, child]);
        }
      }
    }
    return out;
  }

  /** Every parameter, in {@link Module.namedParameters} order. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of scalars in all parameters (computed from shapes; allocates nothing). */
  numParameters(): number {
    return this.parameters().reduce((sum, p) => sum + p.size, 0);
  }

  /** Whether every parameter has a value. */
  isInitialized(): boolean {
    return this.parameters().every((p) => p.isInitialized);
  }

  /**
   * Gives parameters PyTorch-default-like values: conv/linear weights and biases uniform in
   * `+-1/sqrt(fan_in)` (kaiming-uniform with `a = sqrt(5)`), norm scales 1 and biases 0.
   * Each parameter draws from `rng.fork(name)`, so its value depends only on the seed and its
   * name relative to this module, not on the order or presence of other parameters.
   * `rng` itself is not advanced. Replaces existing values unless `onlyMissing`.
   */
  initialize(rng: Rng, options: InitializeOptions = {}): this {
    for (const [name, p] of this.namedParameters()) {
      if (options.onlyMissing === true && p.isInitialized) continue;
      p.initialize(rng.fork(name));
    }
    return this;
  }

  /**
   * Switches this module and all submodules to training mode. Modules that draw random
   * numbers (dropout) get `rng.fork('dropout:' + path)`, so a seed reproduces every mask;
   * without `rng` they keep the generator they were given before (if any).
   */
  train(rng?: Rng): this {
    for (const [path, module] of this.namedModules()) {
      module.training = true;
      if (rng !== undefined) module.receiveRng(rng.fork(`dropout:${path}`));
    }
    return this;
  }

  /** Switches this module and all submodules to eval mode (dropout is the identity). */
  eval(): this {
    for (const [, module] of this.namedModules()) module.training = false;
    return this;
  }

  /** Marks every parameter non-trainable: optimizers and `tf.variableGrads()` skip them. */
  freeze(): this {
    for (const p of this.parameters()) p.trainable = false;
    return this;
  }

  /** Marks every parameter trainable. */
  unfreeze(): this {
    for (const p of this.parameters()) p.trainable = true;
    return this;
  }

  /**
   * The variables of trainable parameters, for `optimizer.minimize(f, false, vars)` or
   * `tf.variableGrads(f, vars)`. Owned by the module (do not dispose them).
   * @throws {@link UninitializedParameterError} if a trainable parameter has no value.
   */
  trainableVariables(): tf.Variable[] {
    return this.parameters()
      .filter((p) => p.trainable)
      .map((p) => p.value);
  }

  /**
   * The parameters' values by name.
   * - `layout: 'torch'` (default): PyTorch shapes and layouts (conv OIHW, linear `[out, in]`),
   *   as diffusers saves them. Every tensor is new: the caller disposes them all.
   * - `layout: 'native'`: the live variables themselves (HWIO, `[in, out]`), no copy. The
   *   module owns them: do not dispose them, and expect them to change as the model trains.
   * @throws {@link UninitializedParameterError} if a parameter has no value.
   */
  stateDict(options: { readonly layout?: StateDictLayout } = {}): Map<string, tf.Tensor> {
    return collectStateDict(this, options.layout ?? 'torch');
  }

  /**
   * Assigns parameter values from a state dict (float32 after casting; the dict's tensors
   * are not taken over, the caller still disposes them). Everything is checked first; on any
   * problem one {@link StateDictError} lists all missing, unexpected and mis-shaped keys and
   * nothing is assigned. Non-strict loading ignores missing and unexpected keys but still
   * rejects mis-shaped ones.
   */
  loadStateDict(dict: StateDictInput, options: LoadStateDictOptions = {}): this {
    loadIntoModule(this, dict, options);
    return this;
  }

  /** Every parameter name with its shape in the given layout (default `'torch'`); allocates nothing. */
  expectedShapes(options: { readonly layout?: StateDictLayout } = {}): Map<string, number[]> {
    return expectedShapesOf(this, options.layout ?? 'torch');
  }

  /** Frees every parameter's value; the module can be initialized or loaded again. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }

  /**
   * Hook for modules that draw random numbers in training mode: {@link Module.train} hands
   * each module its own generator through it. The default ignores it.
   */
  protected receiveRng(_rng: Rng): void {}
}
