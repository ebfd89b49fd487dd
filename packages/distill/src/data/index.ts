export { IMAGE_EXTENSIONS, listImageFiles } from './list-images.js';
export type { ListImagesOptions } from './list-images.js';
export { ImageFolder } from './image-folder.js';
export type { ImageFolderOptions } from './image-folder.js';
export { centerCropWindow, cropInto, drawCropParams, rectToRgb } from './crop.js';
export type { AugmentOptions, CropParams, CropWindow } from './crop.js';
export { SampleOrder } from './sample-order.js';
export { RandomCropBatches } from './random-crops.js';
export type { CropSample, LoadedCropSample, RandomCropOptions } from './random-crops.js';
