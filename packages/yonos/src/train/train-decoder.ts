import { createRng } from '@yonos/core';
import { createDecoderStage } from '@yonos/distill';
import type { DecoderTrainConfig } from '@yonos/distill';
import { openTrainBatches } from './data.js';
import { createDegradation } from './degradation.js';
import type { DecoderTarget } from './decoder-target.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { resolveResume } from './resume.js';
import { runSrModelStage } from './run-sr-model-stage.js';
import { upscalerDecoderTarget } from './upscaler-decoder-target.js';
import { openValidationFolder } from './validation.js';
import { yonosDecoderTarget } from './yonos-decoder-target.js';

/**
 * `yonos train decoder`: fine-tunes a VAE decoder (`decoder.*`, `post_quant_conv.*`) on the
 * one-step latents of a frozen model, then writes the pipeline with the tuned VAE to `output`:
 * a YONOS U-Net (`models.vae`, `models.unet`; a `YonosPipeline` folder) or a Stable Diffusion x4
 * upscaler folder (`models.upscaler`; an upscaler folder).
 */
export async function trainDecoder(config: DecoderTrainConfig, options: TrainRunOptions): Promise<TrainedModelSummary> {
  const root = createRng(config.seed);
  const label = `decoder x${config.scale}`;
  const target: DecoderTarget = config.models.upscaler !== undefined ? await upscalerDecoderTarget(config) : await yonosDecoderTarget(config, root);
  try {
    const resume = await resolveResume(config.checkpoint.dir, options.resume, { stage: 'decoder', scale: config.scale });
    const data = await openTrainBatches(config.data, root.fork('data'), (l) => options.reporter.log(l));
    const heldOut = await openValidationFolder(config.data.validation, config.validation);
    const stage = createDecoderStage({
      codec: target.codec,
      oneStepLatent: target.oneStepLatent,
      data,
      degradation: createDegradation(config.degradation),
      scale: config.scale,
      l1Weight: config.loss.l1_weight,
    });
    return await runSrModelStage(
      stage,
      config,
      { label, resume, rng: root.fork('train'), upscale: target.upscale, save: (dir) => target.save(dir), heldOut, emaModule: target.codec },
      options,
    );
  } finally {
    target.dispose();
  }
}
