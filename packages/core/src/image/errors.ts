import { YonosError } from '../errors.js';

/**
 * Thrown when pixels cannot be converted: a raw buffer whose size, channel count or
 * bit depth is inconsistent, a tensor of the wrong shape, or a browser API that is missing.
 */
export class ImageError extends YonosError {}

/**
 * Thrown when an image file or buffer cannot be decoded (corrupt, truncated, unsupported
 * format, unreadable file). The message names the file and what is wrong.
 */
export class ImageDecodeError extends ImageError {}

/** Thrown when an image cannot be encoded in the requested format (unknown format, bad quality, alpha in JPEG). */
export class ImageEncodeError extends ImageError {}
