/**
 * Base class of every error YONOS throws on purpose. Catch this to tell YONOS's own,
 * explained failures apart from bugs; each area subclasses it (for example
 * `SafetensorsError`, `StateDictError`, `BackendUnavailableError`).
 */
export class YonosError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
