import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '@yonos/core';
import type { Rng } from '@yonos/core';
import { createDistillStage, diffusionLossOptions, findLatestCheckpoint, readTrainConfig } from '@yonos/distill';
import type { DistillTrainConfig, ModelSource } from '@yonos/distill';
import { makeDistillationPair } from '@yonos/degrade';
import type { DDIMScheduler } from '@yonos/sampler';
import { openTrainBatches } from './data.js';
import { resolveChannelWeights } from './channel-weights.js';
import { createDegradation } from './degradation.js';
import { TrainSetupError } from './errors.js';
import { checkStageInputs } from './folders.js';
import { checkCompatible, cloneModel, loadScheduler, loadUnet, loadVae } from './models.js';
import type { TrainVae } from './models.js';
import type { TrainUnet } from './models.js';
import type { TrainedModelSummary, TrainRunOptions } from './reporter.js';
import { writePipelineFolder } from './output.js';
import { checkResidualMatches } from './residual-check.js';
import { resolveResume, resumeFlagFor } from './resume.js';
import { runToPipelineFolder } from './run-to-pipeline.js';
import { trainSr } from './train-sr.js';
import { openValidationFolder, superResolutionValidator } from './validation.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The x2 teacher's folder: the pretrained one, or the output of its direct-SR config, trained first (resuming as asked). */
async function teacherFolder(config: DistillTrainConfig, options: TrainRunOptions, summaries: TrainedModelSummary[]): Promise<ModelSource> {
  const { teacher } = config;
  if (teacher.pretrained !== undefined) return { pretrained: teacher.pretrained, ...(teacher.subfolder !== undefined ? { subfolder: teacher.subfolder } : {}) };
  const srConfig = await readTrainConfig('sr', teacher.sr_config!);
  if (srConfig.scale !== 2) {
    throw new TrainSetupError(`teacher.sr_config ${teacher.sr_config}: the chain starts from an x2 teacher, but that config trains x${srConfig.scale}; set its scale to 2.`);
  }
  // A teacher trained to the end (by this command or by `yonos train sr`) is used as it is.
  const latest = await findLatestCheckpoint(srConfig.checkpoint.dir);
  if (latest !== undefined && latest.step >= srConfig.steps && (await exists(join(srConfig.output, 'model_index.json')))) {
    options.reporter.log(`sr x2 (teacher): already trained (${latest.path}); using ${srConfig.output}`);
    return { pretrained: srConfig.output };
  }
  await checkStageInputs(srConfig, teacher.sr_config);
  const summary = await trainSr(srConfig, { ...options, resume: resumeFlagFor(srConfig.checkpoint.dir, options.resume) });
  summaries.push(summary);
  if (summary.output === undefined) {
    throw new TrainSetupError(`the x2 teacher (${teacher.sr_config}) stopped at step ${summary.step} before finishing; rerun with --resume auto to continue.`);
  }
  return { pretrained: summary.output };
}

/** A model entry of the config, else the same role in the teacher's pipeline folder when it has one. */
async function fromTeacher(given: ModelSource | undefined, teacher: ModelSource, role: 'vae' | 'scheduler'): Promise<ModelSource | undefined> {
  if (given !== undefined) return given;
  if (teacher.subfolder === undefined && (await exists(join(teacher.pretrained!, 'model_index.json')))) return { pretrained: teacher.pretrained!, subfolder: role };
  if (role === 'vae') {
    throw new TrainSetupError(
      `models.vae: the teacher ${teacher.pretrained} is not a pipeline folder with a vae/, so give the VAE the teacher was trained with ("models": { "vae": { "pretrained": ... } }).`,
    );
  }
  return undefined;
}

/**
 * `yonos train distill`: the scale-distillation chain in one command. The x2 teacher comes from
 * a folder or is trained first from its direct-SR config; then each link (x4, x8, ...)
 * initializes its student from the previous model, distils it against that frozen model (see
 * `createDistillStage`), and writes the (EMA) student as a pipeline folder to
 * `<output>/x<scale>`, with checkpoints in `<checkpoint.dir>/x<scale>`. The next link's teacher is
 * that student. Rerunning with `--resume auto` continues where the chain stopped (finished links
 * resume at their last step and are only rewritten); `--resume <checkpoint>` applies to the link
 * (or teacher run) whose checkpoint dir holds it, the others continue with `auto`.
 */
export async function trainDistill(config: DistillTrainConfig, options: TrainRunOptions): Promise<TrainedModelSummary[]> {
  const summaries: TrainedModelSummary[] = [];
  const teacherSource = await teacherFolder(config, options, summaries);
  await checkResidualMatches(teacherSource, config.residual, 'teacher');
  const root = createRng(config.seed);
  const vaeSource = (await fromTeacher(config.models.vae, teacherSource, 'vae'))!;
  const vae: TrainVae = await loadVae(vaeSource, 'models.vae', root.fork('init:vae'));
  let teacher: TrainUnet | undefined;
  let student: TrainUnet | undefined;
  try {
    teacher = await loadUnet(teacherSource, 'teacher', root.fork('init:teacher'));
    checkCompatible(vae, teacher, config.data.crop_size, 'teacher');
    const scheduler: DDIMScheduler = await loadScheduler(await fromTeacher(config.models.scheduler, teacherSource, 'scheduler'), 'models.scheduler');
    vae.freeze().eval();
    const degradation = createDegradation(config.degradation);
    const heldOut = await openValidationFolder(config.data.validation, config.validation);
    for (const link of config.stages) {
      const label = `distill x${link.scale}`;
      const dir = join(config.checkpoint.dir, `x${link.scale}`);
      const resume = await resolveResume(dir, resumeFlagFor(dir, options.resume), { stage: 'distill', scale: link.scale });
      const linkRng: Rng = root.fork(`x${link.scale}`);
      student = cloneModel(teacher);
      teacher.freeze().eval();
      const data = await openTrainBatches(config.data, linkRng.fork('data'), (l) => options.reporter.log(l));
      const channelWeights = await resolveChannelWeights(config.loss.channel_weights, vae, data, linkRng, (l) => options.reporter.log(l));
      const stage = createDistillStage({
        codec: vae,
        student,
        teacher,
        scheduler,
        data,
        makePair: (hr, factor, rng) => makeDistillationPair(hr, factor, degradation, rng),
        scale: link.scale,
        ...diffusionLossOptions(config),
        ...(channelWeights !== undefined ? { channelWeights } : {}),
      });
      const trained = student;
      const validate =
        heldOut !== undefined
          ? superResolutionValidator({ dataset: heldOut, validation: config.validation, scale: link.scale, vae, unet: trained, scheduler, samplesRoot: dir, residual: config.residual })
          : undefined;
      const summary = await runToPipelineFolder(
        stage,
        config,
        {
          label,
          note: `(teacher x${link.scale / 2})`,
          steps: link.steps,
          scale: link.scale,
          checkpointDir: dir,
          output: join(config.output, `x${link.scale}`),
          resume,
          rng: linkRng.fork('train'),
          save: (out) => writePipelineFolder(out, { vae, unet: trained, scheduler, scale: link.scale, residual: config.residual }),
          ...(link.lr !== undefined ? { lr: link.lr } : {}),
          ...(validate !== undefined ? { validate } : {}),
        },
        options,
      );
      summaries.push(summary);
      if (summary.output === undefined) break;
      teacher.dispose();
      teacher = student;
      student = undefined;
    }
    return summaries;
  } finally {
    vae.dispose();
    teacher?.dispose();
    student?.dispose();
  }
}
