import { DistillError } from '../errors.js';

/**
 * A training config is invalid. The message names the file, and for each problem the key path
 * (`optimizer.lr`), what is expected and what was found.
 */
export class TrainingConfigError extends DistillError {
  /** One line per problem: `<path>: <what is expected> (got <value>)`. */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.problems = problems;
  }
}
