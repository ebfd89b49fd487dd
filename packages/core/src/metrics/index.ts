export { MetricError } from './errors.js';
export type { MetricHostImage, MetricInput } from './host-image.js';
export type { MetricOptions } from './options.js';
export type { ChannelOrder } from './preprocess.js';
export { psnr, psnrHost } from './psnr.js';
export { ssim, ssimHost } from './ssim.js';
