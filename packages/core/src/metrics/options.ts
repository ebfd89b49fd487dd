import { assertSameShape, hostToFloat64, readMetricInput } from './host-image.js';
import type { Float64Image, MetricHostImage, MetricInput } from './host-image.js';
import { cropBorder, toYChannel } from './preprocess.js';
import type { ChannelOrder } from './preprocess.js';

/** Options shared by {@link psnr} and {@link ssim}, named after BasicSR's arguments. */
export interface MetricOptions {
  /** Pixels removed from each edge before measuring (BasicSR `crop_border`); default 0. SR papers use the scale factor. */
  readonly cropBorder?: number;
  /** Measure the BT.601 luma (16..235) instead of all channels (BasicSR `test_y_channel`); default false. */
  readonly testYChannel?: boolean;
  /**
   * Channel order of 3-channel inputs, used by `testYChannel` only; default `'rgb'`
   * (YONOS images). Use `'bgr'` for images read with OpenCV, as BasicSR's scripts do.
   */
  readonly channelOrder?: ChannelOrder;
}

/** Crop, then optional Y conversion: the preprocessing order of BasicSR's metrics. */
export function preparePair(
  a: Float64Image,
  b: Float64Image,
  options: MetricOptions,
): [Float64Image, Float64Image] {
  assertSameShape(a, b);
  const border = options.cropBorder ?? 0;
  let x = cropBorder(a, border);
  let y = cropBorder(b, border);
  if (options.testYChannel) {
    const order = options.channelOrder ?? 'rgb';
    x = toYChannel(x, order);
    y = toYChannel(y, order);
  }
  return [x, y];
}

/** Reads two metric inputs (tensors or host images) into float64 and prepares them. */
export async function readPair(
  a: MetricInput,
  b: MetricInput,
  options: MetricOptions,
): Promise<[Float64Image, Float64Image]> {
  return preparePair(await readMetricInput(a), await readMetricInput(b), options);
}

/** Synchronous variant of {@link readPair} for host images. */
export function readHostPair(
  a: MetricHostImage,
  b: MetricHostImage,
  options: MetricOptions,
): [Float64Image, Float64Image] {
  return preparePair(hostToFloat64(a), hostToFloat64(b), options);
}
