import { YonosError } from '../errors.js';

/** One parameter whose shape in a state dict differs from the module's. */
export interface ShapeMismatch {
  /** Parameter name (attribute path), e.g. `conv1.weight`. */
  readonly name: string;
  /** Shape the module expects, in the layout that was being loaded. */
  readonly expected: readonly number[];
  /** Shape found in the state dict. */
  readonly got: readonly number[];
}

const LISTED = 20;

function listNames(title: string, names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(', ');
  const more = names.length > LISTED ? `, ... and ${names.length - LISTED} more` : '';
  return `${title} (${names.length}): ${shown}${more}`;
}

function formatMismatch(m: ShapeMismatch): string {
  return `${m.name}: expected [${m.expected.join(', ')}], got [${m.got.join(', ')}]`;
}

/**
 * A state dict does not fit a module. Nothing was assigned when this is thrown: loading
 * checks every key first. The full lists are properties; the message shows the first
 * 20 names of each.
 */
export class StateDictError extends YonosError {
  /** Names the module has but the state dict lacks (strict loading only). */
  readonly missing: readonly string[];
  /** Names the state dict has but the module lacks (strict loading only). */
  readonly unexpected: readonly string[];
  /** Names present on both sides with different shapes (always rejected). */
  readonly mismatched: readonly ShapeMismatch[];

  /**
   * @param lists The offending names (all of them).
   * @param layout The layout that was being loaded, for the message.
   * @param hint Extra advice appended to the message.
   */
  constructor(
    lists: { missing: readonly string[]; unexpected: readonly string[]; mismatched: readonly ShapeMismatch[] },
    layout: string,
    hint = '',
  ) {
    const parts: string[] = [];
    if (lists.missing.length > 0) parts.push(listNames('missing keys', lists.missing));
    if (lists.unexpected.length > 0) parts.push(listNames('unexpected keys', lists.unexpected));
    if (lists.mismatched.length > 0) {
      const shown = lists.mismatched.slice(0, LISTED).map(formatMismatch).join('; ');
      const more = lists.mismatched.length > LISTED ? `; ... and ${lists.mismatched.length - LISTED} more` : '';
      parts.push(`mis-shaped keys (${lists.mismatched.length}): ${shown}${more}`);
    }
    super(
      `State dict does not match the module (layout '${layout}'); nothing was loaded. ${parts.join('. ')}.` +
        ' Check that the checkpoint was saved from the same model config, or pass { strict: false } to skip' +
        ' missing/unexpected keys (mis-shaped keys are always rejected).' +
        hint,
    );
    this.missing = lists.missing;
    this.unexpected = lists.unexpected;
    this.mismatched = lists.mismatched;
  }
}

/**
 * A parameter's value was needed before it had one. Modules are built shape-only; give
 * them values with `module.initialize(rng)` or `module.loadStateDict(dict)`.
 */
export class UninitializedParameterError extends YonosError {}

/**
 * A module was built with an invalid option, or called with a tensor of the wrong rank,
 * channel count or dtype. The message names the module, the value and what is accepted.
 */
export class NnArgumentError extends YonosError {}

/**
 * A module that draws random numbers in training mode (dropout with `p > 0`) has no
 * generator. Call `module.train(rng)` on the model (or a parent) before the forward pass.
 */
export class MissingRngError extends YonosError {}
