// Pseudo-random RawImages for the image tests (browser-safe and Node).
import type { BitDepth, ChannelCount, RawImage } from '../src/image/index.js';

/** Every channel count (1-4) at both bit depths. */
export const LAYOUTS: [ChannelCount, BitDepth][] = [1, 2, 3, 4].flatMap((c) => [8, 16].map((d) => [c, d] as [ChannelCount, BitDepth]));

/** Pseudo-random pixels (an LCG, so every run sees the same image) that include 0 and the maximum. */
export function makeRaw(channels: ChannelCount, bitDepth: BitDepth, width = 5, height = 4): RawImage {
  const n = width * height * channels;
  const max = bitDepth === 8 ? 255 : 65535;
  const data = bitDepth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  let s = 12345 + channels * 7 + bitDepth;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s % (max + 1);
  }
  data[0] = 0;
  data[n - 1] = max;
  return { data, width, height, channels, bitDepth };
}
