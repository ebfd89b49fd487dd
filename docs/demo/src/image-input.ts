import { DemoError } from './errors.js';

/**
 * Decodes an image file (PNG, JPEG, WebP, GIF, AVIF... whatever the browser reads) to 8-bit
 * RGBA pixels at its natural size, EXIF orientation applied.
 * @throws DemoError when the browser cannot decode it.
 */
export async function readImageFile(file: Blob): Promise<ImageData> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch (cause) {
    throw new DemoError('This file could not be decoded as an image: pick a PNG, JPEG or WebP file.', { cause });
  }
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new DemoError('The browser gave no 2D canvas: try another browser.');
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** The first image file of a drop or paste, if any. */
export function firstImageFile(files: FileList | null | undefined): File | undefined {
  if (files === null || files === undefined) return undefined;
  for (const file of Array.from(files)) {
    if (file.type === '' || file.type.startsWith('image/')) return file;
  }
  return undefined;
}
