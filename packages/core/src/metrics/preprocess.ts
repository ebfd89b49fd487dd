import { MetricError } from './errors.js';
import type { Float64Image } from './host-image.js';

/** Channel order of 3-channel metric inputs. BasicSR's metrics assume `'bgr'` (OpenCV). */
export type ChannelOrder = 'rgb' | 'bgr';

/** Removes `border` pixels from each edge, as BasicSR's `img[cb:-cb, cb:-cb, ...]`. */
export function cropBorder(img: Float64Image, border: number): Float64Image {
  if (!Number.isInteger(border) || border < 0) {
    throw new MetricError(`cropBorder ${border} is invalid: pass a non-negative integer.`);
  }
  if (border === 0) return img;
  const height = img.height - 2 * border;
  const width = img.width - 2 * border;
  if (height <= 0 || width <= 0) {
    throw new MetricError(
      `cropBorder ${border} leaves nothing of a ${img.height}x${img.width} image: use a smaller border.`,
    );
  }
  const c = img.channels;
  const data = new Float64Array(height * width * c);
  for (let y = 0; y < height; y++) {
    const src = ((y + border) * img.width + border) * c;
    data.set(img.data.subarray(src, src + width * c), y * width * c);
  }
  return { data, height, width, channels: c };
}

/**
 * BasicSR's `to_y_channel`, rounding included: the image goes through float32 (`/255`),
 * the BT.601 luma `16 + (65.481 R + 128.553 G + 24.966 B)` is taken in float64, then
 * divided by 255, stored as float32 and multiplied by 255 in float32. Images that are not
 * 3-channel only take the float32 round trip, as there.
 */
export function toYChannel(img: Float64Image, order: ChannelOrder): Float64Image {
  const n = img.height * img.width;
  const f = Math.fround;
  if (img.channels !== 3) {
    const data = img.data.map((v) => f(f(f(v) / 255) * 255));
    return { ...img, data };
  }
  const [ri, bi] = order === 'rgb' ? [0, 2] : [2, 0];
  const data = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const b = f(f(img.data[3 * p + bi]!) / 255);
    const g = f(f(img.data[3 * p + 1]!) / 255);
    const r = f(f(img.data[3 * p + ri]!) / 255);
    // np.dot(bgr, [24.966, 128.553, 65.481]) sums in this order.
    const y = b * 24.966 + g * 128.553 + r * 65.481 + 16.0;
    data[p] = f(f(y / 255) * 255);
  }
  return { data, height: img.height, width: img.width, channels: 1 };
}
