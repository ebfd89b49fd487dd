/**
 * Runs a pipeline's tasks one at a time, in the order they were asked for: runs share the
 * scheduler's timesteps. A task that fails does not stop the ones after it.
 */
export class RunQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Starts `task` once every task added before it has settled. @returns Its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
