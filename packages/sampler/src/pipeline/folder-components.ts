import type { ModelStore } from '@yonos/core';
import { loadComponent } from './components.js';
import type { LoadComponentOptions } from './components.js';
import { disposeComponent } from './dispose-component.js';
import type { ComponentSpec } from './model-index.js';

/**
 * Builds a pipeline from the components of a pipeline folder: each is loaded from its
 * subfolder (`specs[name]`, the `[library, className]` entry of `model_index.json`) unless
 * `given` has it, then `build` gets them all. The components loaded here are disposed if a
 * later one fails to load or `build` throws; given ones stay the caller's.
 */
export async function buildFromFolder<N extends string, P>(
  store: ModelStore,
  specs: Readonly<Record<N, ComponentSpec>>,
  names: readonly N[],
  given: Partial<Record<N, unknown>>,
  options: LoadComponentOptions,
  build: (parts: Readonly<Record<N, unknown>>) => P | Promise<P>,
): Promise<P> {
  const loaded: unknown[] = [];
  try {
    const parts = {} as Record<N, unknown>;
    for (const name of names) {
      let component = given[name];
      if (component === undefined) {
        component = await loadComponent(store, name, specs[name], options);
        loaded.push(component);
      }
      parts[name] = component;
    }
    return await build(parts);
  } catch (error) {
    for (const component of loaded) disposeComponent(component);
    throw error;
  }
}
