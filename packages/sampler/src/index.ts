/**
 * `@yonos/sampler`: noise schedules and the DDIM scheduler (diffusers-compatible configs,
 * epsilon / v / x0 prediction), on which the one-step YONOS pipeline is built.
 * @packageDocumentation
 */
export * from './schedulers/index.js';
export * from './pipeline/index.js';
