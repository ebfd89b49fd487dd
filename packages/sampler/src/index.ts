/**
 * `@yonos/sampler`: noise schedules, the DDIM and DDPM schedulers (diffusers-compatible configs,
 * epsilon / v / x0 prediction), the one-step YONOS pipeline built on them, and Stable
 * Diffusion's x4 upscaler pipeline.
 * @packageDocumentation
 */
export * from './schedulers/index.js';
export * from './pipeline/index.js';
export * from './upscale/index.js';
