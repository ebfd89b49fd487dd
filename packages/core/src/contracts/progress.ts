/** One report of progress from a long-running operation. */
export interface ProgressEvent {
  /** What is running, for example `'denoise'`, `'encode'`, `'decode'`, `'tile'`, `'train'`. */
  readonly stage: string;
  /** Units completed in this stage (1-based after the first unit finishes). */
  readonly completed: number;
  /** Units this stage will do in all. */
  readonly total: number;
  /** Optional extra figures (for example `{ loss: 0.12 }`). */
  readonly detail?: Readonly<Record<string, number | string>>;
}

/** Receives {@link ProgressEvent}s; must not throw. */
export type ProgressCallback = (event: ProgressEvent) => void;
