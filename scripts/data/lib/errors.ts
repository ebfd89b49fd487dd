import { YonosError } from '@yonos/core';

/** A data script could not do its job; the message says what to fix (a flag, a missing tool, a package). */
export class DataScriptError extends YonosError {}
