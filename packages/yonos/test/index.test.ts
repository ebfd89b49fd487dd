import * as core from '@yonos/core';
import * as degrade from '@yonos/degrade';
import * as distill from '@yonos/distill';
import * as sampler from '@yonos/sampler';
import * as unet from '@yonos/unet';
import * as vae from '@yonos/vae';
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

/** Names that several packages export as different objects, and the package src/index.ts picks for each. */
const RESOLVED: Record<string, string> = {};

describe('the yonos umbrella', () => {
  it('re-exports every runtime export of every @yonos package', () => {
    const umbrella = yonos as Record<string, unknown>;
    for (const [name, mod] of Object.entries(packages)) {
      for (const key of Object.keys(mod)) {
        expect(key in umbrella, `${key} from ${name}`).toBe(true);
      }
    }
  });

  it('resolves every name two packages export differently, explicitly', () => {
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
    const clashes = [...owners].filter(([, names]) => names.length > 1).map(([key]) => key).sort();
    // A new clash must be resolved in src/index.ts (export * drops ambiguous names) and listed here.
    expect(clashes).toEqual(Object.keys(RESOLVED).sort());
    for (const [key, owner] of Object.entries(RESOLVED)) {
      expect((yonos as Record<string, unknown>)[key]).toBe(packages[owner]![key]);
    }
    // Blocks shared by several models have one home, core (the VAE's and the U-Net's mid block).
    expect(yonos.UNetMidBlock2D).toBe(core.UNetMidBlock2D);
    expect(yonos.DiagonalGaussianDistribution).toBe(core.DiagonalGaussianDistribution);
    expect('VaeUNetMidBlock2D' in yonos).toBe(false);
    expect(yonos.DIFFUSERS_VERSION).toBe(core.DIFFUSERS_VERSION);
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
