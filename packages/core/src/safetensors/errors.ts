import { YonosError } from '../errors.js';

/**
 * A safetensors file or buffer is malformed, hostile, truncated or holds something this
 * reader cannot convert; or tensors handed to a writer cannot be stored. The message
 * names the offending tensor or header field and says what to do.
 */
export class SafetensorsError extends YonosError {}
