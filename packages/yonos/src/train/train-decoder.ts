import { createRng } from '@yonos/core';
import { createDecoderStage } from '@yonos/distill';
import type { DecoderTrainConfig } from '@yonos/distill';
import { openTrainBatches } from './data.js';
import { createDegradation } from './degradation.js';
import { loadPipelineModels } from './models.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { checkResidualMatches } from './residual-check.js';
import { resolveResume } from './resume.js';
import { runSrModelStage } from './run-sr-model-stage.js';
import { openValidationFolder } from './validation.js';

/**
 * `yonos train decoder`: fine-tunes the VAE decoder (`decoder.*`, `post_quant_conv.*`) on the
 * one-step latents of the frozen U-Net, then writes the pipeline (fine-tuned VAE, same U-Net
 * and scheduler) to `output`.
 */
export async function trainDecoder(config: DecoderTrainConfig, options: TrainRunOptions): Promise<TrainedModelSummary> {
  await checkResidualMatches(config.models.unet, config.residual, 'models.unet');
  const root = createRng(config.seed);
  const label = `decoder x${config.scale}`;
  const models = await loadPipelineModels(config, root);
  const { vae, unet, scheduler } = models;
  try {
    unet.freeze().eval();
    const resume = await resolveResume(config.checkpoint.dir, options.resume, { stage: 'decoder', scale: config.scale });
    const data = await openTrainBatches(config.data, root.fork('data'), (l) => options.reporter.log(l));
    const heldOut = await openValidationFolder(config.data.validation, config.validation);
    const stage = createDecoderStage({
      codec: vae,
      unet,
      scheduler,
      data,
      degradation: createDegradation(config.degradation),
      scale: config.scale,
      l1Weight: config.loss.l1_weight,
      residual: config.residual,
    });
    return await runSrModelStage(stage, config, { label, resume, rng: root.fork('train'), models: { vae, unet, scheduler }, heldOut, emaModule: vae }, options);
  } finally {
    models.dispose();
  }
}
