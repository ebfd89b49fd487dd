import { YonosError } from '@yonos/core';

/** Something the demo page cannot do; the message says what the user can do about it. */
export class DemoError extends YonosError {}

/**
 * The site has no model folder at `model/` (no `model_index.json`). The message says how to
 * put one there.
 */
export class NoModelError extends DemoError {}
