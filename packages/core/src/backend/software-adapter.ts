import type { GpuAdapterDescription } from './types.js';

// CPU implementations of Vulkan / GL that browsers and Dawn fall back to without a usable GPU.
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|softpipe|software rasterizer|microsoft basic render/i;

/**
 * The name of the software rasterizer behind a GPU adapter (SwiftShader, llvmpipe, ...), or
 * `undefined` for a real GPU. A GPU backend on one computes on the CPU, far slower than wasm
 * (measured here: 60-300x), so automatic backend choice skips it.
 */
export function softwareAdapterName(adapter: GpuAdapterDescription | undefined): string | undefined {
  if (adapter === undefined) return undefined;
  const text = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' ');
  const match = SOFTWARE_RENDERERS.exec(text);
  if (match === null) return undefined;
  const name = match[0].toLowerCase();
  return name === 'swiftshader' ? 'SwiftShader' : name;
}
