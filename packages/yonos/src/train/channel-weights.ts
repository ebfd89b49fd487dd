import type { LatentCodec, Rng } from '@yonos/core';
import { decoderChannelWeights } from '@yonos/distill';
import type { HrBatchSource } from '@yonos/distill';

/**
 * The config's `loss.channel_weights` as numbers: `undefined` for `null` (plain MSE), the array
 * as given, or for `"decoder"` the weights measured on the first training batch (a pure function
 * of the seed, so a resumed run measures the same ones).
 */
export async function resolveChannelWeights(
  setting: 'decoder' | readonly number[] | null,
  codec: LatentCodec,
  data: HrBatchSource,
  rng: Rng,
  log: (line: string) => void,
): Promise<readonly number[] | undefined> {
  if (setting === null) return undefined;
  if (setting !== 'decoder') return setting;
  const hr = await data.batch(0);
  try {
    const weights = decoderChannelWeights(codec, hr, rng.fork('channel-weights'));
    log(`latent channel weights from the decoder: ${weights.map((w) => w.toFixed(4)).join(' ')}`);
    return weights;
  } finally {
    hr.dispose();
  }
}
