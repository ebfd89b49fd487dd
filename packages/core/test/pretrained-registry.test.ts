import { describe, expect, it } from 'vitest';
import {
  PretrainedError,
  UnknownPretrainedClassError,
  YonosError,
  findPretrainedClassOf,
  lookupPretrainedClass,
  registerPretrainedClass,
  registeredPretrainedClasses,
  resolvePretrainedClass,
} from '../src/index.js';
import type { ModelConfig } from '../src/index.js';

// Every test registers under its own library name: the registry is process-wide.
class FakeModel {
  static readonly className = 'FakeModel';
  constructor(readonly config: ModelConfig) {}
  static fromConfig(config: ModelConfig): FakeModel {
    return new FakeModel(config);
  }
}

class FakeScheduler {
  constructor(readonly config: ModelConfig) {}
  static fromConfig(config: ModelConfig): FakeScheduler {
    return new FakeScheduler(config);
  }
}

describe('pretrained class registry', () => {
  it('registers, looks up by library and name, and finds the entry of an instance', () => {
    const entry = registerPretrainedClass('@test/registry-a', FakeModel);
    expect(entry).toMatchObject({ library: '@test/registry-a', className: 'FakeModel', kind: 'model', configName: 'config.json' });
    expect(lookupPretrainedClass('@test/registry-a', 'FakeModel')?.cls).toBe(FakeModel);
    expect(lookupPretrainedClass('@test/registry-a', 'Other')).toBeUndefined();
    expect(lookupPretrainedClass('@test/elsewhere', 'FakeModel')).toBeUndefined();
    expect(findPretrainedClassOf(FakeModel.fromConfig({}))).toBe(entry);
    expect(findPretrainedClassOf({})).toBeUndefined();
    expect(registeredPretrainedClasses()).toContain(entry);
  });

  it('stores schedulers under scheduler_config.json and needs a name for classes without className', () => {
    expect(() => registerPretrainedClass('@test/registry-b', FakeScheduler)).toThrow(/className/);
    const entry = registerPretrainedClass('@test/registry-b', FakeScheduler, { className: 'FakeScheduler', kind: 'scheduler' });
    expect(entry.configName).toBe('scheduler_config.json');
    expect(() => registerPretrainedClass('@test/registry-b', {} as never, { className: 'X' })).toThrow(PretrainedError);
  });

  it('resolves diffusers-written entries to any registered class of that name', async () => {
    class DiffusersNamed {
      static readonly className = 'RegistryTestUniqueName';
      static fromConfig(): DiffusersNamed {
        return new DiffusersNamed();
      }
    }
    registerPretrainedClass('@test/registry-c', DiffusersNamed);
    expect(lookupPretrainedClass('diffusers', 'RegistryTestUniqueName')?.library).toBe('@test/registry-c');
    expect((await resolvePretrainedClass('diffusers', 'RegistryTestUniqueName')).cls).toBe(DiffusersNamed);
    await expect(resolvePretrainedClass('diffusers', 'NobodyRegisteredThis')).rejects.toThrow(UnknownPretrainedClassError);
  });

  it('imports an unregistered library, which registers on import or exports the class', async () => {
    const imported: string[] = [];
    const registering = async (specifier: string): Promise<unknown> => {
      imported.push(specifier);
      registerPretrainedClass(specifier, FakeModel);
      return {};
    };
    const entry = await resolvePretrainedClass('@test/registry-d', 'FakeModel', { importer: registering });
    expect(entry.cls).toBe(FakeModel);
    expect(imported).toEqual(['@test/registry-d']);
    // Registered now: no second import.
    await resolvePretrainedClass('@test/registry-d', 'FakeModel', { importer: registering });
    expect(imported).toHaveLength(1);

    const exporting = async (): Promise<unknown> => ({ FakeScheduler });
    const scheduler = await resolvePretrainedClass('@test/registry-e', 'FakeScheduler', { importer: exporting });
    expect(scheduler).toMatchObject({ kind: 'scheduler', configName: 'scheduler_config.json', cls: FakeScheduler });
  });

  it('says what to import or install when a class cannot be found', async () => {
    const missing = resolvePretrainedClass('@yonos/definitely-not-installed', 'UNet9000');
    await expect(missing).rejects.toThrow(UnknownPretrainedClassError);
    await expect(missing).rejects.toThrow(/import '@yonos\/definitely-not-installed' first or install it/);
    const err = await missing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PretrainedError);
    expect(err).toBeInstanceOf(YonosError);

    // A real package that has no such class.
    await expect(resolvePretrainedClass('@tensorflow/tfjs-core', 'UNet9000')).rejects.toThrow(/provides no class UNet9000/);
  });

  it('never imports paths, URLs or data: specifiers named by a model_index.json', async () => {
    let called = false;
    const importer = async (): Promise<unknown> => {
      called = true;
      return {};
    };
    for (const library of ['./evil.js', 'https://example.com/x.js', 'data:text/javascript,export{}', '/abs/path', '@scope/pkg/deep']) {
      await expect(resolvePretrainedClass(library, 'X', { importer })).rejects.toThrow(/not a package name/);
    }
    expect(called).toBe(false);
  });
});
