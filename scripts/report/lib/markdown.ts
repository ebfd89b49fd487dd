import type { PhaseStamp } from './machine.js';
import { methodScore, methodTiming } from './results.js';
import type { ReportResults, SeedMean, TimingEntry } from './results.js';

/** `27.31` or, over several seeds, `27.31 ± 0.04`. */
function formatScore(s: SeedMean | undefined, key: 'psnr' | 'ssim'): string {
  if (s === undefined) return '';
  const digits = key === 'psnr' ? 2 : 4;
  const value = s[key].toFixed(digits);
  return s.n > 1 ? `${value} ± ${s[key === 'psnr' ? 'psnrStd' : 'ssimStd'].toFixed(digits)}` : value;
}

/** Mean ms per image (1 decimal under 100 ms), with the number of images when a subset was timed. */
function formatMs(t: TimingEntry | undefined, imageCount: number): string {
  if (t === undefined) return '';
  const ms = t.meanMs < 100 ? t.meanMs.toFixed(1) : t.meanMs.toFixed(0);
  return t.images.length < imageCount ? `${ms} (${t.images.length} img)` : ms;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** A tfjs runtime the timings ran on: YONOS's (from the phase stamp) or an esrgan run's (from its timings.json). */
interface Runtime {
  readonly tfjs: string;
  readonly backend: string;
  readonly simd?: boolean;
  readonly threads?: number;
}

const threadCount = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;

/** `wasm (SIMD on, 2 threads)`, or the backend's name. */
function backendDetail(r: Runtime): string {
  if (r.threads === undefined) return r.backend;
  return `${r.backend} (${r.simd !== undefined ? `SIMD ${r.simd ? 'on' : 'off'}, ` : ''}${threadCount(r.threads)})`;
}

/** `wasm, 2 threads (tfjs 4.22.0)`. */
function backendShort(r: Runtime): string {
  return `${r.backend}${r.threads !== undefined ? `, ${threadCount(r.threads)}` : ''} (tfjs ${r.tfjs})`;
}

function stampRuntime(stamp: PhaseStamp): Runtime {
  const { tfjs, backend } = stamp.machine;
  return { tfjs, backend: backend.name, ...(backend.wasm !== undefined ? { simd: backend.wasm.simd, threads: backend.wasm.threads } : {}) };
}

/** The distinct runtimes of the esrgan timings (run-esrgan.mjs records tfjs, backend, wasmThreads, wasmSimd). */
function esrganRuntimes(entries: readonly TimingEntry[] | undefined): Runtime[] {
  const seen = new Map<string, Runtime>();
  for (const e of entries ?? []) {
    if (e.kind !== 'esrgan' || e.env === undefined) continue;
    const { tfjs, backend, wasmThreads, wasmSimd } = e.env;
    const r: Runtime = {
      tfjs: String(tfjs ?? '?'),
      backend: String(backend ?? '?'),
      ...(typeof wasmSimd === 'boolean' ? { simd: wasmSimd } : {}),
      ...(typeof wasmThreads === 'number' ? { threads: wasmThreads } : {}),
    };
    seen.set(JSON.stringify(r), r);
  }
  return [...seen.values()];
}

/**
 * What the times ran on, from the timing stamp and the esrgan runs' records, and a warning
 * when the esrgan models ran on another thread count than YONOS (their times then do not compare).
 */
function timingBackendLine(results: ReportResults): string | undefined {
  const stamp = results.timing?.stamp;
  if (stamp === undefined) return undefined;
  const yonos = stampRuntime(stamp);
  const esrgan = esrganRuntimes(results.timing?.entries);
  const line = `Timed on ${backendShort(yonos)}${esrgan.length > 0 ? `; the esrgan models on ${esrgan.map(backendShort).join(' and ')}` : ''}.`;
  const unequal = esrgan.some((r) => r.backend !== yonos.backend || r.threads !== yonos.threads);
  return unequal ? `${line} **The esrgan models and YONOS ran on different backends or thread counts: their ms/image do not compare.**` : line;
}

function machineRows(label: string, stamp: PhaseStamp | undefined, esrgan: readonly Runtime[] = []): string[] | undefined {
  if (stamp === undefined) return undefined;
  const m = stamp.machine;
  const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const others = esrgan.map((r) => `; esrgan: tfjs ${r.tfjs}, ${backendDetail(r)}`).join('');
  return [label, `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`, `Node ${m.node}, tfjs ${m.tfjs}, ${backendDetail(stampRuntime(stamp))}${others}`, `${stamp.started} – ${stamp.finished}`, `${load(stamp.loadavgStart)} → ${load(stamp.loadavgEnd)}`];
}

/**
 * The report's markdown (docs/report/results.md) from results.json: a title (front matter),
 * what the times ran on (backend and threads of YONOS and of the esrgan runs, from their
 * records), the machine, one table per scale (every method: PSNR, SSIM, images beating bicubic, ms per
 * image) and one steps sweep table per scale (the sweep models side by side), plus links to
 * the plots.
 * PSNR has 2 decimals, SSIM 4; several seeds show mean ± standard deviation.
 */
export function resultsMarkdown(results: ReportResults): string {
  const scores = results.scores?.entries ?? [];
  const timings = results.timing?.entries;
  const n = results.images.length;
  const label = (model: string) => results.models[model]?.label ?? model;
  const lines: string[] = [
    // The title is for typedoc, which lists this page with the guides.
    '---',
    'title: Evaluation results',
    '---',
    '',
    '# YONOS-SR evaluation results',
    '',
    '<!-- Generated by scripts/report/run-report.ts from results.json; do not edit by hand. -->',
    '',
    `${n} eval images (${results.images.join(', ')}). Scores: ${results.metric}. ` +
      `Time: ${results.timingMethod}.${results.seeds.length > 1 ? ` YONOS scores: mean ± standard deviation over seeds ${results.seeds.join(', ')}.` : ''}`,
    '',
  ];
  const backendLine = timingBackendLine(results);
  if (backendLine !== undefined) lines.push(backendLine, '');
  const machine = [machineRows('scores', results.scores?.stamp), machineRows('timing', results.timing?.stamp, esrganRuntimes(timings))].filter((r): r is string[] => r !== undefined);
  if (machine.length > 0) {
    lines.push('## Machine', '', ...table(['phase', 'CPU', 'runtime', 'ran', 'load average 1/5/15 min (start → end)'], machine), '');
  }
  for (const scale of results.scales) {
    const rows: string[][] = [];
    const bicubic = methodScore(scores, { scale, method: 'bicubic' });
    const add = (name: string, steps: string, decoder: string, s: SeedMean | undefined, t: TimingEntry | undefined, wins: string) => {
      if (s === undefined && t === undefined) return;
      rows.push([name, steps, decoder, formatScore(s, 'psnr'), formatScore(s, 'ssim'), wins, formatMs(t, n)]);
    };
    const winsOf = (select: Parameters<typeof methodScore>[1]) => {
      const hits = scores.filter((e) => e.scale === scale && (select.method === undefined || e.method === select.method) && (select.model === undefined || (e.model === select.model && e.steps === select.steps)));
      return hits.length === 0 ? '' : hits.map((e) => `${e.winsOverBicubic}/${n}`).join(', ');
    };
    add('bicubic', '', '', bicubic, methodTiming(timings, { scale, method: 'bicubic' }), '');
    for (const method of results.esrgan) {
      const select = { scale, method };
      add(method, '', '', methodScore(scores, select), methodTiming(timings, select), winsOf(select));
    }
    const models = [results.final, ...Object.keys(results.models).filter((m) => m !== results.final)];
    for (const model of models) {
      const spec = results.models[model];
      if (spec === undefined || spec.folders[`x${scale}`] === undefined) continue;
      const timed = (timings ?? []).filter((t) => t.scale === scale && t.model === model).map((t) => t.steps!);
      const steps = [...new Set([spec.steps[0]!, ...timed])].sort((a, b) => a - b);
      for (const k of steps) {
        const select = { scale, model, steps: k };
        add(label(model), String(k), spec.decoder, methodScore(scores, select), methodTiming(timings, select), winsOf(select));
      }
    }
    lines.push(`## x${scale}`, '');
    if (rows.length === 0) lines.push('No scores or timings yet.', '');
    else lines.push(...table(['method', 'steps', 'decoder', 'PSNR (dB)', 'SSIM', 'PSNR > bicubic', 'ms/image'], rows), '');

    const sweep = results.sweep.filter((m) => results.models[m]?.folders[`x${scale}`] !== undefined);
    const allSteps = [...new Set(sweep.flatMap((m) => results.models[m]!.steps))].sort((a, b) => a - b);
    const sweepRows = allSteps.map((k) => [String(k), ...sweep.flatMap((m) => {
      const s = methodScore(scores, { scale, model: m, steps: k });
      return [formatScore(s, 'psnr'), formatScore(s, 'ssim')];
    })]);
    if (sweep.length > 0 && sweepRows.some((r) => r.slice(1).some((c) => c !== ''))) {
      const decoders = [...new Set(sweep.map((m) => results.models[m]!.decoder))].join(' / ');
      lines.push(`### Steps sweep x${scale} (${decoders} decoder)`, '');
      lines.push(...table(['steps', ...sweep.flatMap((m) => [`${label(m)} PSNR`, `${label(m)} SSIM`])], sweepRows), '');
      lines.push(`![PSNR vs steps x${scale}](psnr-steps_x${scale}.png) ![SSIM vs steps x${scale}](ssim-steps_x${scale}.png)`, '');
    }
    lines.push(`![Visual comparison x${scale}](montage_x${scale}.png)`, '');
  }
  const missing = results.scores?.missing ?? [];
  if (missing.length > 0) lines.push(`Not scored (missing or incomplete SR folders): ${missing.join(', ')}.`, '');
  return lines.join('\n');
}
