import { DemoError } from './errors.js';

/**
 * Encodes a canvas to PNG and points a download link at it, revoking the link's previous
 * object URL.
 * @param fileName The name offered to the user, e.g. `photo-x4.png`.
 * @throws DemoError when the browser cannot encode the canvas.
 */
export async function offerDownload(canvas: HTMLCanvasElement, link: HTMLAnchorElement, fileName: string): Promise<void> {
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob === null) throw new DemoError('The browser could not encode the result as PNG: try a smaller image.');
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
}

/** `photo.jpg`, 4 -> `photo-x4.png`. */
export function outputFileName(inputName: string, scale: number): string {
  const dot = inputName.lastIndexOf('.');
  const stem = (dot > 0 ? inputName.slice(0, dot) : inputName) || 'image';
  return `${stem}-x${scale}.png`;
}
