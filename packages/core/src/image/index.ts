export { ImageError, ImageDecodeError, ImageEncodeError } from './errors.js';
export type { BitDepth, ChannelCount, ModelImage, RawImage } from './types.js';
export { disposeModelImage, fromRawImage, toRawImage, validateRawImage } from './raw.js';
export type { FromRawOptions, ToRawOptions } from './raw.js';
export {
  fromBrowserImage,
  fromCanvas,
  fromImageBitmap,
  fromImageData,
  fromImageElement,
  toCanvas,
  toImageBitmap,
  toImageData,
} from './browser.js';
export type { BrowserImageSource, FromBrowserOptions, ImageDataLike } from './browser.js';
