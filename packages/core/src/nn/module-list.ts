import { Module } from './module.js';

/**
 * An indexable list of submodules, named `0`, `1`, ... in parameter names (PyTorch's
 * `nn.ModuleList`): `list[0]`, `list.get(0)`, `list.length`, `for (const m of list)`.
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  /** The module at an index (`list[0]`), as PyTorch indexes a `ModuleList`. */
  readonly [index: number]: T;
  #items: T[] = [];

  /** @param modules Initial items, named `0`, `1`, ... in order. */
  constructor(modules: Iterable<T> = []) {
    super();
    for (const m of modules) this.push(m);
  }

  /** Number of items. */
  get length(): number {
    return this.#items.length;
  }

  /** Appends a module; it is named by its index. */
  push(module: T): this {
    (this as unknown as Record<number, T>)[this.#items.length] = module;
    this.#items.push(module);
    return this;
  }

  /** The module at `index` (negative counts from the end), or `undefined`. */
  get(index: number): T | undefined {
    return this.#items.at(index);
  }

  /** Iterates the items in index order. */
  [Symbol.iterator](): Iterator<T> {
    return this.#items[Symbol.iterator]();
  }
}
