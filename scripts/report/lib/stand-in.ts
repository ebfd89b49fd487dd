import { AutoencoderKL, UNet2DModel, YonosPipeline, createRng } from 'yonos';
import type { ModelConfig } from 'yonos';

/** A 2-level VAE (factor 2, 4 latent channels, no attention): milliseconds per image. */
export const TINY_VAE_CONFIG: ModelConfig = Object.freeze({
  block_out_channels: [8, 8],
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'],
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'],
  layers_per_block: 1,
  latent_channels: 4,
  norm_num_groups: 4,
  mid_block_add_attention: false,
});

/** A 2-level UNet2DModel for {@link TINY_VAE_CONFIG}'s latents (in 8 = 2 x 4, out 4), no attention. */
export const TINY_UNET_CONFIG: ModelConfig = Object.freeze({
  _class_name: 'UNet2DModel',
  in_channels: 8,
  out_channels: 4,
  block_out_channels: [8, 16],
  layers_per_block: 1,
  down_block_types: ['DownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'UpBlock2D'],
  add_attention: false,
  norm_num_groups: 4,
});

/**
 * Saves a randomly initialized YONOS pipeline folder for `scale` (a stand-in for a trained
 * model: it exercises every stage of the pipeline and super-resolves nothing). Default
 * configs: {@link TINY_VAE_CONFIG} and {@link TINY_UNET_CONFIG}. Needs an active backend;
 * leaves no tensor behind.
 * @param seed - initializes the weights (another seed, another fingerprint).
 */
export async function writeTinyPipeline(
  dir: string,
  scale: number,
  seed = 0,
  configs: { readonly vae?: ModelConfig; readonly unet?: ModelConfig } = {},
): Promise<void> {
  const rng = createRng(seed);
  const vae = AutoencoderKL.fromConfig(configs.vae ?? TINY_VAE_CONFIG).initialize(rng.fork('vae'));
  const unet = UNet2DModel.fromConfig(configs.unet ?? TINY_UNET_CONFIG).initialize(rng.fork('unet'));
  const pipe = new YonosPipeline({ vae, unet, scale });
  try {
    await pipe.savePretrained(dir);
  } finally {
    pipe.dispose();
  }
}
