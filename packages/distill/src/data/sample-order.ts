import type { Rng } from '@yonos/core';

/**
 * The order in which a dataset of `n` items is visited: epoch `e` is a Fisher-Yates shuffle
 * drawn from `root.fork('epoch:' + e)`, and sample `k` (counting from 0 over the whole run)
 * is item `perm_{floor(k / n)}[k mod n]`. A pure function of (seed, k): a resumed run that
 * knows its step sees exactly the samples it would have seen, with no saved position.
 */
export class SampleOrder {
  readonly #root: Rng;
  readonly #n: number;
  #epoch = -1;
  #perm: Uint32Array = new Uint32Array(0);

  /** @param root Generator whose forks decide the order (only forked, never advanced). */
  constructor(root: Rng, n: number) {
    this.#root = root;
    this.#n = n;
  }

  /** The shuffle of epoch `epoch` (a new array). */
  permutation(epoch: number): Uint32Array {
    return this.#permutationOf(epoch).slice();
  }

  /** The item index of global sample `k`. */
  itemAt(k: number): number {
    return this.#permutationOf(Math.floor(k / this.#n))[k % this.#n]!;
  }

  /** The item `j` places after global sample `k` in the same epoch's order (wrapping). */
  itemAfter(k: number, j: number): number {
    const perm = this.#permutationOf(Math.floor(k / this.#n));
    return perm[((k % this.#n) + j) % this.#n]!;
  }

  #permutationOf(epoch: number): Uint32Array {
    if (epoch !== this.#epoch) {
      const rng = this.#root.fork(`epoch:${epoch}`);
      const perm = new Uint32Array(this.#n);
      for (let i = 0; i < this.#n; i++) perm[i] = i;
      for (let i = this.#n - 1; i > 0; i--) {
        const j = rng.nextInt(0, i);
        const t = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = t;
      }
      this.#epoch = epoch;
      this.#perm = perm;
    }
    return this.#perm;
  }
}
