import { createRng } from '@yonos/core';
import { createSrStage } from '@yonos/distill';
import type { SrTrainConfig } from '@yonos/distill';
import { openTrainBatches } from './data.js';
import { resolveChannelWeights } from './channel-weights.js';
import { createDegradation } from './degradation.js';
import { loadPipelineModels } from './models.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { resolveResume } from './resume.js';
import { runToPipelineFolder } from './run-to-pipeline.js';
import { openValidationFolder, superResolutionValidator } from './validation.js';

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
      ...(config.loss.snr_gamma !== null ? { snrGamma: config.loss.snr_gamma } : {}),
      latentMode: config.loss.latent,
      residual: config.residual,
      weighting: config.loss.weighting,
      ...(config.loss.timestep_range !== null ? { timestepRange: config.loss.timestep_range } : {}),
      lastTimestepShare: config.loss.timestep_last_share,
      ...(channelWeights !== undefined ? { channelWeights } : {}),
    });
    const validate =
      heldOut !== undefined
        ? superResolutionValidator({ dataset: heldOut, validation: config.validation, scale: config.scale, vae, unet, scheduler, samplesRoot: config.checkpoint.dir, residual: config.residual })
        : undefined;
    return await runToPipelineFolder(
      stage,
      config,
      {
        label,
        steps: config.steps,
        scale: config.scale,
        checkpointDir: config.checkpoint.dir,
        output: config.output,
        resume,
        rng: root.fork('train'),
        models: { vae, unet, scheduler, residual: config.residual },
        ...(validate !== undefined ? { validate } : {}),
      },
      options,
    );
  } finally {
    models.dispose();
  }
}
