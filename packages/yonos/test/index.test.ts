import * as core from '@yonos/core';
import * as coreInternal from '@yonos/core/internal';
import * as nn from '@yonos/core/nn';
import * as degrade from '@yonos/degrade';
import * as distill from '@yonos/distill';
import * as distillInternal from '@yonos/distill/internal';
import * as queue from '@yonos/queue';
import * as queueInternal from '@yonos/queue/internal';
import * as sampler from '@yonos/sampler';
import * as samplerInternal from '@yonos/sampler/internal';
import * as unet from '@yonos/unet';
import * as unetModules from '@yonos/unet/modules';
import * as vae from '@yonos/vae';
import * as vaeModules from '@yonos/vae/modules';
import { describe, expect, it } from 'vitest';
import * as yonos from '../src/index.js';

const packages: Record<string, Record<string, unknown>> = {
  '@yonos/core': core,
  '@yonos/vae': vae,
  '@yonos/unet': unet,
  '@yonos/sampler': sampler,
  '@yonos/degrade': degrade,
  '@yonos/distill': distill,
};

/** The umbrella's own exports (the bundled model). */
const OWN = ['bundledModelDir', 'bundledModelProvider', 'bundledModelRoot', 'bundledScales', 'registerBundledModel'];

/** Each package's main entry and the subpaths that hold what it leaves out. */
const SUBPATHS: Record<string, [Record<string, unknown>, Record<string, Record<string, unknown>>]> = {
  '@yonos/core': [core, { '@yonos/core/internal': coreInternal }],
  '@yonos/vae': [vae, { '@yonos/vae/modules': vaeModules }],
  '@yonos/unet': [unet, { '@yonos/unet/modules': unetModules }],
  '@yonos/sampler': [sampler, { '@yonos/sampler/internal': samplerInternal }],
  '@yonos/distill': [distill, { '@yonos/distill/internal': distillInternal }],
  '@yonos/queue': [queue, { '@yonos/queue/internal': queueInternal }],
};

describe('the yonos umbrella', () => {
  it("re-exports every runtime export of every @yonos package's main entry", () => {
    const umbrella = yonos as Record<string, unknown>;
    for (const [name, mod] of Object.entries(packages)) {
      for (const key of Object.keys(mod)) {
        expect(key in umbrella, `${key} from ${name}`).toBe(true);
        expect(umbrella[key], `${key} from ${name}`).toBe(mod[key]);
      }
    }
  });

  it('exports nothing else: no subpath-only name, nothing internal', () => {
    const listed = new Set([...Object.values(packages).flatMap((mod) => Object.keys(mod)), ...OWN]);
    expect(Object.keys(yonos).filter((key) => !listed.has(key))).toEqual([]);
    // The nn kit is @yonos/core/nn (the blocks shared by several models have one home there).
    expect('UNetMidBlock2D' in yonos).toBe(false);
    expect(typeof nn.UNetMidBlock2D).toBe('function');
    expect('Module' in yonos).toBe(false);
    expect(typeof nn.Module).toBe('function');
    expect('VaeUNetMidBlock2D' in yonos).toBe(false);
    expect(yonos.DIFFUSERS_VERSION).toBe(core.DIFFUSERS_VERSION);
    expect('DIFFUSERS_VERSION' in sampler).toBe(false);
  });

  it('no two packages export one name as different bindings', () => {
    const owners = new Map<string, string[]>();
    for (const [name, mod] of Object.entries(packages)) {
      for (const [key, value] of Object.entries(mod)) {
        const first = owners.get(key);
        if (first === undefined) {
          owners.set(key, [name]);
        } else if (packages[first[0]!]![key] !== value) {
          first.push(name);
        }
      }
    }
    expect([...owners].filter(([, names]) => names.length > 1).map(([key]) => key)).toEqual([]);
  });

  it('keeps what a package leaves out of its main entry out of it', () => {
    for (const [name, [main, subpaths]] of Object.entries(SUBPATHS)) {
      for (const [subpath, mod] of Object.entries(subpaths)) {
        expect(Object.keys(mod).length, subpath).toBeGreaterThan(0);
        expect(Object.keys(mod).filter((key) => key in main), `${subpath} names in ${name}`).toEqual([]);
      }
    }
  });

  it('registers the model and scheduler classes with the pretrained registry', () => {
    expect(core.lookupPretrainedClass('@yonos/vae', 'AutoencoderKL')?.cls).toBe(vae.AutoencoderKL);
    expect(core.lookupPretrainedClass('@yonos/unet', 'UNet2DConditionModel')?.cls).toBe(unet.UNet2DConditionModel);
    expect(core.lookupPretrainedClass('@yonos/unet', 'UNet2DModel')?.cls).toBe(unet.UNet2DModel);
    expect(core.lookupPretrainedClass('@yonos/sampler', 'DDIMScheduler')).toMatchObject({ cls: sampler.DDIMScheduler, kind: 'scheduler' });
    // diffusers-written model_index.json entries resolve to the same classes.
    expect(core.lookupPretrainedClass('diffusers', 'AutoencoderKL')?.cls).toBe(vae.AutoencoderKL);
  });
});
