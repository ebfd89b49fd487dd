import { createRng } from '@yonos/core';
import { createSrStage, diffusionLossOptions } from '@yonos/distill';
import type { SrTrainConfig } from '@yonos/distill';
import { openTrainBatches } from './data.js';
import { resolveChannelWeights } from './channel-weights.js';
import { createDegradation } from './degradation.js';
import { loadPipelineModels } from './models.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { resolveResume } from './resume.js';
import { runSrModelStage } from './run-sr-model-stage.js';
import { writePipelineFolder } from './output.js';
import { openValidationFolder, yonosOneStepUpscale } from './validation.js';

/**
 * `yonos train sr`: direct SR training of the config's U-Net against its frozen VAE, then the
 * (EMA) model written as a `YonosPipeline` folder to `output`.
 * @throws `TrainSetupError`, `TrainingConfigError`, `CheckpointError`, `NonFiniteLossError`... with what to change.
 */
export async function trainSr(config: SrTrainConfig, options: TrainRunOptions): Promise<TrainedModelSummary> {
  const root = createRng(config.seed);
  const label = `sr x${config.scale}`;
  const models = await loadPipelineModels(config, root);
  const { vae, unet, scheduler } = models;
  try {
    vae.freeze().eval();
    const resume = await resolveResume(config.checkpoint.dir, options.resume, { stage: 'sr', scale: config.scale });
    const data = await openTrainBatches(config.data, root.fork('data'), (l) => options.reporter.log(l));
    const heldOut = await openValidationFolder(config.data.validation, config.validation);
    const channelWeights = await resolveChannelWeights(config.loss.channel_weights, vae, data, root, (l) => options.reporter.log(l));
    const stage = createSrStage({
      codec: vae,
      unet,
      scheduler,
      data,
      degradation: createDegradation(config.degradation),
      scale: config.scale,
      ...diffusionLossOptions(config),
      ...(channelWeights !== undefined ? { channelWeights } : {}),
    });
    const pipeline = { vae, unet, scheduler, scale: config.scale, residual: config.residual };
    return await runSrModelStage(
      stage,
      config,
      { label, resume, rng: root.fork('train'), upscale: yonosOneStepUpscale(pipeline), save: (dir) => writePipelineFolder(dir, pipeline), heldOut },
      options,
    );
  } finally {
    models.dispose();
  }
}
