import { cpus, loadavg, release, totalmem, type } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getBackendInfo } from '@yonos/core';

/** The machine a phase ran on: what the timings depend on. */
export interface MachineInfo {
  /** CPU model as the OS reports it. */
  readonly cpu: string;
  /** Logical cores. */
  readonly cores: number;
  /** Installed memory in GiB. */
  readonly memoryGiB: number;
  /** OS name and kernel release. */
  readonly os: string;
  /** Node.js version. */
  readonly node: string;
  /** tfjs-core version the YONOS packages run on. */
  readonly tfjs: string;
  /** Active tfjs backend (`none` before one is started) and, for wasm, SIMD and threads. */
  readonly backend: { readonly name: string; readonly wasm?: { readonly simd: boolean; readonly threads: number } };
}

/** Describes this machine and the active tfjs backend. */
export function machineInfo(): MachineInfo {
  let backend: MachineInfo['backend'] = { name: 'none' };
  try {
    const info = getBackendInfo();
    backend = { name: info.name, ...(info.wasm !== undefined ? { wasm: { simd: info.wasm.simd, threads: info.wasm.threads } } : {}) };
  } catch {
    // No backend yet (e.g. a phase that only reads files): recorded as 'none'.
  }
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    tfjs: tf.version_core,
    backend,
  };
}

/** When a phase ran and how busy the machine was (1, 5 and 15 minute load averages). */
export interface PhaseStamp {
  /** ISO date the phase started. */
  readonly started: string;
  /** ISO date it finished. */
  readonly finished: string;
  readonly loadavgStart: readonly number[];
  readonly loadavgEnd: readonly number[];
  readonly machine: MachineInfo;
}

/** Runs `task`, returning its result with a {@link PhaseStamp} (machine info taken at the end, once a backend is active). */
export async function stamped<T>(task: () => Promise<T>): Promise<{ result: T; stamp: PhaseStamp }> {
  const started = new Date().toISOString();
  const loadavgStart = loadavg().map((v) => Math.round(v * 100) / 100);
  const result = await task();
  return {
    result,
    stamp: { started, finished: new Date().toISOString(), loadavgStart, loadavgEnd: loadavg().map((v) => Math.round(v * 100) / 100), machine: machineInfo() },
  };
}
