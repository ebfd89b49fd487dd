import type { DiffusionLossOptions } from '../stages/diffusion-options.js';
import type { DiffusionLossConfig } from './common.js';

/**
 * The stage options a config's `loss` and `residual` entries set, as `createSrStage` and
 * `createDistillStage` take them: the one place where config keys become option names. Channel
 * weights are left out: `"decoder"` is measured from the codec at startup (`decoderChannelWeights`).
 */
export function diffusionLossOptions(config: { readonly residual: boolean; readonly loss: DiffusionLossConfig }): Omit<DiffusionLossOptions, 'channelWeights'> {
  const { loss } = config;
  return {
    ...(loss.snr_gamma !== null ? { snrGamma: loss.snr_gamma } : {}),
    weighting: loss.weighting,
    residual: config.residual,
    ...(loss.timestep_range !== null ? { timestepRange: loss.timestep_range } : {}),
    lastTimestepShare: loss.timestep_last_share,
    uniformTimestepWeight: loss.timestep_uniform_weight,
    ...(loss.pixel_weight > 0 ? { pixelWeight: loss.pixel_weight } : {}),
    latentMode: loss.latent,
  };
}
