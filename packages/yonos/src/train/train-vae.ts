import { createRng, savePretrained } from '@yonos/core';
import { createVaeStage, isDecoderParameter, runStage } from '@yonos/distill';
import type { VaeTrainConfig } from '@yonos/distill';
import { openTrainBatches } from './data.js';
import { TrainSetupError } from './errors.js';
import { loadVae } from './models.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { resolveResume } from './resume.js';
import { stageRunOptions, targetSteps } from './run-options.js';
import { logStart, summarize } from './summary.js';
import { openValidationFolder, reconstructionValidator } from './validation.js';
import { measureScalingFactor, withScalingFactor } from './scaling-factor.js';

/**
 * `yonos train vae`: trains the config's `AutoencoderKL` (usually from scratch) on image crops,
 * then writes the (EMA) model to `output` as a diffusers model folder (`config.json` + weights),
 * with `scaling_factor` measured on training crops unless `fit_scaling_factor` is false.
 * `trainable: "decoder"` trains the decoder of a pretrained one, its encoder (and latents) fixed.
 */
export async function trainVae(config: VaeTrainConfig, options: TrainRunOptions): Promise<TrainedModelSummary> {
  const root = createRng(config.seed);
  const label = 'vae';
  const vae = await loadVae(config.models.vae, 'models.vae', root.fork('init:vae'));
  try {
    if (config.data.crop_size % vae.downsampleFactor !== 0) {
      throw new TrainSetupError(`data.crop_size ${config.data.crop_size} must be a multiple of the VAE's downsampling ${vae.downsampleFactor}.`);
    }
    const resume = await resolveResume(config.checkpoint.dir, options.resume, { stage: 'vae' });
    const data = await openTrainBatches(config.data, root.fork('data'), (l) => options.reporter.log(l));
    const heldOut = await openValidationFolder(config.data.validation, config.validation);
    const stage = createVaeStage({
      codec: vae,
      data,
      l1Weight: config.loss.l1_weight,
      klWeight: config.loss.kl_weight,
      samplePosterior: config.loss.sample_posterior,
      ...(config.trainable === 'decoder' ? { trainParameter: isDecoderParameter } : {}),
    });
    const validate =
      heldOut !== undefined ? reconstructionValidator({ dataset: heldOut, validation: config.validation, vae, samplesRoot: config.checkpoint.dir }) : undefined;
    logStart(options.reporter, label, targetSteps(config.steps, options.maxSteps), config.steps, resume);
    const result = await runStage(
      stage,
      stageRunOptions(
        config,
        {
          steps: config.steps,
          checkpointDir: config.checkpoint.dir,
          resume,
          rng: root.fork('train'),
          ...(validate !== undefined ? { validate, validateEvery: config.validation.every } : {}),
        },
        options,
      ),
    );
    let output: string | undefined;
    if (result.status === 'completed') {
      if (config.fit_scaling_factor) {
        const scalingFactor = await measureScalingFactor(
          vae,
          data,
          Math.max(1, Math.ceil(64 / config.data.batch_size)),
          config.loss.sample_posterior ? 'sample' : 'mean',
        );
        options.reporter.log(`vae: scaling_factor ${scalingFactor.toPrecision(5)} (1 / std of the latents of training crops; fit_scaling_factor)`);
        const fitted = withScalingFactor(vae, scalingFactor);
        try {
          await savePretrained(fitted, config.output);
        } finally {
          fitted.dispose();
        }
      } else {
        await savePretrained(vae, config.output);
      }
      output = config.output;
    }
    return summarize(label, config.steps, result, output);
  } finally {
    vae.dispose();
  }
}
