import { basename, extname } from 'node:path';
import { listImages } from '../degrade/list-images.js';

/** An HR image and the SR image it is compared with. */
export interface EvalPair {
  /** The HR file name, which names the row. */
  readonly name: string;
  /** Absolute path of the HR image. */
  readonly hr: string;
  /** Absolute path of the matching SR image; absent when {@link EvalPair.problem} is set. */
  readonly sr?: string;
  /** Why no SR image could be paired (none, or several candidates), with what to do. */
  readonly problem?: string;
}

/** The pairs of an HR and an SR folder. */
export interface EvalPairing {
  /** One entry per HR image, sorted by file name. */
  readonly pairs: readonly EvalPair[];
  /** SR images no HR image claimed (reported, not scored). */
  readonly unusedSr: readonly string[];
}

function stemOf(path: string): string {
  const name = basename(path);
  return name.slice(0, name.length - extname(name).length);
}

/**
 * Pairs each HR image (PNG, JPEG or WebP directly in `hrDir`) with the SR image of the same
 * name in `srDir`, either `<name>.<ext>` or, as `yonos upscale` writes it,
 * `<name>_x<scale>.<ext>` (any image extension).
 * @throws `CliUsageError` when a folder cannot be read.
 */
export async function pairImages(hrDir: string, srDir: string, scale: number): Promise<EvalPairing> {
  const [hr, sr] = await Promise.all([listImages(hrDir), listImages(srDir)]);
  const byStem = new Map<string, string[]>();
  for (const path of sr.images) {
    const stem = stemOf(path);
    byStem.set(stem, [...(byStem.get(stem) ?? []), path]);
  }
  const used = new Set<string>();
  const pairs = hr.images.map((path): EvalPair => {
    const name = basename(path);
    const stem = stemOf(path);
    const candidates = [...(byStem.get(stem) ?? []), ...(byStem.get(`${stem}_x${scale}`) ?? [])];
    candidates.forEach((c) => used.add(c));
    if (candidates.length === 1) return { name, hr: path, sr: candidates[0]! };
    const problem =
      candidates.length === 0
        ? `no SR image named ${stem}.<ext> or ${stem}_x${scale}.<ext> in '${srDir}': upscale it, or remove the HR image`
        : `several SR images match (${candidates.map((c) => basename(c)).join(', ')}): keep only one in '${srDir}'`;
    return { name, hr: path, problem };
  });
  return { pairs, unusedSr: sr.images.filter((path) => !used.has(path)) };
}
