import { YonosError } from '@yonos/core';

/**
 * The report harness could not do its job: a bad config or flag, a missing model folder or
 * eval set, a failed child process. The message says what to fix.
 */
export class ReportError extends YonosError {}
