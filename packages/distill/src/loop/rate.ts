/**
 * Steps per second over a sliding window of recent steps, and the time left. Time is
 * injected so tests can drive it.
 */
export class RateMeter {
  readonly #times: number[] = [];
  readonly #window: number;
  readonly #now: () => number;

  /** @param window Steps the rate is averaged over (default 20). @param now Milliseconds clock (default `performance.now`). */
  constructor(window = 20, now: () => number = () => performance.now()) {
    this.#window = Math.max(1, window);
    this.#now = now;
  }

  /** Marks the start (call before the first step) or the end of a step. */
  tick(): void {
    this.#times.push(this.#now());
    if (this.#times.length > this.#window + 1) this.#times.shift();
  }

  /** Steps per second over the window (0 until one step has ended). */
  get stepsPerSecond(): number {
    const n = this.#times.length - 1;
    if (n < 1) return 0;
    const ms = this.#times[n]! - this.#times[0]!;
    return ms > 0 ? (n * 1000) / ms : 0;
  }

  /** Seconds for `remaining` more steps at the current rate (`Infinity` while unknown). */
  etaSeconds(remaining: number): number {
    const rate = this.stepsPerSecond;
    if (remaining <= 0) return 0;
    return rate > 0 ? remaining / rate : Number.POSITIVE_INFINITY;
  }
}
