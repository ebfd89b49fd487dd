export { imresize } from './imresize.js';
export type { ImageSize, ImresizeOptions } from './imresize.js';
export { bicubicWeights, cubic } from './bicubic-weights.js';
export { ResizeError } from './errors.js';
