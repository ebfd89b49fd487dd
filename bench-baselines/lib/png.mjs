// 8-bit RGB PNG in/out with sharp.
import sharp from 'sharp';

/** @returns {Promise<{ data: Uint8Array, width: number, height: number }>} interleaved RGB, 0..255 */
export async function readRgb(path) {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${path} decoded to ${info.channels} channels, expected RGB.`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Writes interleaved 8-bit RGB as PNG. */
export async function writeRgb(path, { data, width, height }) {
  await sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width, height, channels: 3 } }).png().toFile(path);
}
