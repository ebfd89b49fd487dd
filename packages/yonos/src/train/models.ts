import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { YonosError } from '@yonos/core';
import { readModelConfig } from '@yonos/core/internal';
import type { ModelConfig, Rng } from '@yonos/core';
import type { ModelSource } from '@yonos/distill';
import { DDIMScheduler, YONOS_SCHEDULER_CONFIG } from '@yonos/sampler';
import { UNet2DConditionModel, UNet2DModel } from '@yonos/unet';
import { AutoencoderKL, AutoencoderTiny } from '@yonos/vae';
import { TrainSetupError } from './errors.js';

/** The VAE classes a YONOS config can name (`_class_name`, default `AutoencoderKL`). */
export type TrainVae = AutoencoderKL | AutoencoderTiny;

/** The U-Net classes a YONOS config can name. */
export type TrainUnet = UNet2DConditionModel | UNet2DModel;

/** The role a model plays in a pipeline folder, which is also its default subfolder there. */
export type ModelRole = 'vae' | 'unet' | 'scheduler';

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The subfolder to read: the one given, else `role` when `dir` is a pipeline folder (it holds
 * `model_index.json`), else the folder itself.
 */
export async function subfolderFor(source: ModelSource, role: ModelRole): Promise<string | undefined> {
  if (source.subfolder !== undefined) return source.subfolder === '' ? undefined : source.subfolder;
  return (await isFile(join(source.pretrained!, 'model_index.json'))) ? role : undefined;
}

/** Runs `build`, re-throwing its errors prefixed with the config key of the model. */
async function withKey<T>(key: string, build: () => Promise<T> | T): Promise<T> {
  try {
    return await build();
  } catch (cause) {
    if (cause instanceof TrainSetupError) throw cause;
    const message = (cause as Error).message;
    throw new TrainSetupError(`${key}: ${message}`, { cause });
  }
}

/** The classes `yonos train` builds, by the `_class_name` a diffusers config gives; the first is the default. */
const VAE_CLASSES = { AutoencoderKL, AutoencoderTiny } as const;
const UNET_CLASSES = { UNet2DConditionModel, UNet2DModel } as const;

/** The class a config's `_class_name` names in `table` (its first entry when the config has none). */
function classFor<T extends Record<string, unknown>>(table: T, config: ModelConfig, what: string, key: string): T[keyof T] {
  const names = Object.keys(table);
  const name = config['_class_name'] ?? names[0]!;
  if (typeof name === 'string' && Object.hasOwn(table, name)) return table[name as keyof T];
  throw new TrainSetupError(`${key}: _class_name ${JSON.stringify(name)} is not a ${what} YONOS trains; use ${names.map((n) => JSON.stringify(n)).join(' or ')}.`);
}

/**
 * A new model of the same class and config (with `overrides`) holding a copy of `model`'s
 * weights (a distillation student, a VAE with a fitted `scaling_factor`). The caller disposes it.
 */
export function cloneModel<M extends TrainVae | TrainUnet>(model: M, overrides: ModelConfig = {}): M {
  const cls = model.constructor as unknown as { fromConfig(config: ModelConfig): M };
  const copy = cls.fromConfig({ ...model.config, ...overrides });
  copy.loadStateDict(model.stateDict({ layout: 'native' }), { layout: 'native' });
  return copy;
}

/** Rejects an `init` scheme the model's class does not have (only `AutoencoderTiny` has `"pooling"`). */
function checkInitScheme(source: ModelSource, className: string, key: string): void {
  if (source.init === 'pooling' && className !== 'AutoencoderTiny') {
    throw new TrainSetupError(
      `${key}.init: "pooling" is only defined for an AutoencoderTiny (config "_class_name": "AutoencoderTiny"), not for a ${className}; remove "init" or use "default".`,
    );
  }
}

/**
 * The VAE of a config entry (`AutoencoderKL`, or `AutoencoderTiny` when the config's
 * `_class_name` says so): loaded from a diffusers folder, or built from a diffusers config and
 * initialized from `rng` with the entry's `init` scheme (a model trained from scratch).
 * @throws {@link TrainSetupError} naming `key` when the folder, config or `init` cannot be used.
 */
export function loadVae(source: ModelSource, key: string, rng: Rng): Promise<TrainVae> {
  return withKey(key, async () => {
    if (source.config !== undefined) {
      const cls = classFor(VAE_CLASSES, source.config, 'VAE', key);
      checkInitScheme(source, cls.className, key);
      if (cls === AutoencoderTiny) return AutoencoderTiny.fromConfig(source.config).initialize(rng, { scheme: source.init ?? 'default' });
      return AutoencoderKL.fromConfig(source.config).initialize(rng);
    }
    const subfolder = await subfolderFor(source, 'vae');
    const config = await readModelConfig(source.pretrained!, subfolder);
    const cls = classFor(VAE_CLASSES, config, 'VAE', key);
    return cls.fromPretrained(source.pretrained!, {
      ...(subfolder !== undefined ? { subfolder } : {}),
      ...(source.variant !== undefined ? { variant: source.variant } : {}),
    });
  });
}

/**
 * The U-Net of a config entry (`UNet2DConditionModel`, or `UNet2DModel` when the config's
 * `_class_name` says so): loaded, or built from its config and initialized from `rng`.
 * @throws {@link TrainSetupError} naming `key`.
 */
export function loadUnet(source: ModelSource, key: string, rng: Rng): Promise<TrainUnet> {
  return withKey(key, async () => {
    if (source.config !== undefined) {
      const cls = classFor(UNET_CLASSES, source.config, 'U-Net', key);
      checkInitScheme(source, cls.className, key);
      return cls.fromConfig(source.config).initialize(rng);
    }
    const subfolder = await subfolderFor(source, 'unet');
    const config = await readModelConfig(source.pretrained!, subfolder);
    const cls = classFor(UNET_CLASSES, config, 'U-Net', key);
    return cls.fromPretrained(source.pretrained!, {
      ...(subfolder !== undefined ? { subfolder } : {}),
      ...(source.variant !== undefined ? { variant: source.variant } : {}),
    });
  });
}

/**
 * The scheduler of a config entry: `scheduler_config.json` of a folder, a `config` object,
 * or (no entry) YONOS's default, DDIM with v-prediction and trailing spacing.
 * @throws {@link TrainSetupError} naming `key`.
 */
export function loadScheduler(source: ModelSource | undefined, key: string): Promise<DDIMScheduler> {
  return withKey(key, async () => {
    if (source === undefined) return new DDIMScheduler(YONOS_SCHEDULER_CONFIG);
    if (source.config !== undefined) return DDIMScheduler.fromConfig(source.config);
    const subfolder = await subfolderFor(source, 'scheduler');
    const path = join(source.pretrained!, ...(subfolder !== undefined ? [subfolder] : []), 'scheduler_config.json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new YonosError(`cannot read ${path} (${(cause as Error).message})`, { cause });
    }
    return DDIMScheduler.fromConfig(parsed);
  });
}

/**
 * Checks that a VAE and a U-Net fit together as YONOS needs (U-Net input = noisy latent +
 * LR latent) and that the training crop gives latents the U-Net can take.
 * @throws {@link TrainSetupError} saying which key to change.
 */
export function checkCompatible(vae: TrainVae, unet: TrainUnet, cropSize: number, unetKey: string): void {
  const c = vae.latentChannels;
  if (unet.inChannels !== 2 * c || unet.outChannels !== c) {
    throw new TrainSetupError(
      `${unetKey}: the U-Net takes ${unet.inChannels} channels and returns ${unet.outChannels}; with this VAE's ${c} latent channels ` +
        `YONOS needs in_channels ${2 * c} (z_t and z_lr) and out_channels ${c}.`,
    );
  }
  const latent = cropSize / vae.downsampleFactor;
  const levels = (unet.config as { block_out_channels?: unknown[] }).block_out_channels?.length ?? 1;
  const multiple = 2 ** (levels - 1);
  if (!Number.isInteger(latent) || latent % multiple !== 0) {
    const unit = vae.downsampleFactor * multiple;
    throw new TrainSetupError(
      `data.crop_size ${cropSize} gives ${latent}x${latent} latents, but the U-Net's ${levels} levels need sides divisible by ${multiple}: ` +
        `use a multiple of ${unit} (e.g. ${Math.max(unit, Math.round(cropSize / unit) * unit)}).`,
    );
  }
}

/** The three models a U-Net training run works with; `dispose` frees the VAE and the U-Net. */
export interface PipelineModels {
  /** The config's VAE. */
  readonly vae: TrainVae;
  /** The config's U-Net, checked to fit the VAE and the crop size. */
  readonly unet: TrainUnet;
  /** The config's scheduler (YONOS's default when none is given). */
  readonly scheduler: DDIMScheduler;
  /** Frees the VAE's and the U-Net's weights. */
  dispose(): void;
}

/**
 * Loads (or builds and seeds) `models.vae`, `models.unet` and `models.scheduler` of a config and
 * checks that they fit together; on failure nothing stays allocated.
 * @throws {@link TrainSetupError} naming the key to change.
 */
export async function loadPipelineModels(
  config: { readonly models: { readonly vae: ModelSource; readonly unet: ModelSource; readonly scheduler?: ModelSource | undefined }; readonly data: { readonly crop_size: number } },
  rng: Rng,
): Promise<PipelineModels> {
  const vae = await loadVae(config.models.vae, 'models.vae', rng.fork('init:vae'));
  let unet: TrainUnet | undefined;
  try {
    unet = await loadUnet(config.models.unet, 'models.unet', rng.fork('init:unet'));
    checkCompatible(vae, unet, config.data.crop_size, 'models.unet');
    const scheduler = await loadScheduler(config.models.scheduler, 'models.scheduler');
    const loaded = unet;
    return {
      vae,
      unet: loaded,
      scheduler,
      dispose: () => {
        vae.dispose();
        loaded.dispose();
      },
    };
  } catch (error) {
    vae.dispose();
    unet?.dispose();
    throw error;
  }
}
