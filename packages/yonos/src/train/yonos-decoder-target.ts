import type { Rng } from '@yonos/core';
import { yonosOneStepLatent } from '@yonos/distill';
import type { DecoderTrainConfig } from '@yonos/distill';
import type { DecoderTarget } from './decoder-target.js';
import { TrainSetupError } from './errors.js';
import { loadPipelineModels } from './models.js';
import { writePipelineFolder } from './output.js';
import { checkResidualMatches } from './residual-check.js';
import { yonosOneStepUpscale } from './validation.js';

/**
 * The decoder target of a config with `models.vae` and `models.unet`: the VAE's decoder is
 * tuned on the frozen YONOS U-Net's one-step latents (`yonosOneStepLatent`), and the result is
 * written as a `YonosPipeline` folder (tuned VAE, same U-Net and scheduler).
 * @throws {@link TrainSetupError} naming the key to change.
 */
export async function yonosDecoderTarget(config: DecoderTrainConfig, root: Rng): Promise<DecoderTarget> {
  const { vae: vaeSource, unet: unetSource, scheduler: schedulerSource } = config.models;
  if (vaeSource === undefined || unetSource === undefined) {
    throw new TrainSetupError('models: give models.vae and models.unet (a YONOS model), or models.upscaler (a Stable Diffusion x4 upscaler folder).');
  }
  await checkResidualMatches(unetSource, config.residual, 'models.unet');
  const models = await loadPipelineModels({ models: { vae: vaeSource, unet: unetSource, scheduler: schedulerSource }, data: config.data }, root);
  const { vae, unet, scheduler } = models;
  unet.freeze().eval();
  const pipeline = { vae, unet, scheduler, scale: config.scale, residual: config.residual };
  return {
    codec: vae,
    oneStepLatent: yonosOneStepLatent({ codec: vae, unet, scheduler, residual: config.residual }),
    upscale: yonosOneStepUpscale(pipeline),
    save: (dir) => writePipelineFolder(dir, pipeline),
    dispose: () => models.dispose(),
  };
}
