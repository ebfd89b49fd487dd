/**
 * The evaluation report (docs/report, written by scripts/report/run-report.ts plus a
 * hand-written summary) is part of the typedoc site, and its links and figures must resolve.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relativeTargets } from './helpers/markdown-links.js';

const DOCS = fileURLToPath(new URL('..', import.meta.url));
const REPORT = join(DOCS, 'report');
const PAGES = ['README.md', 'results.md'];

describe('evaluation report', () => {
  it('is listed in the typedoc site, each page with a title', () => {
    const typedoc = JSON.parse(readFileSync(join(DOCS, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] };
    for (const page of PAGES) {
      expect(typedoc.projectDocuments).toContain(`report/${page}`);
      expect(readFileSync(join(REPORT, page), 'utf8'), page).toMatch(/^---\ntitle: .+\n---\n/);
    }
  });

  it('links to files that exist, and shows the PSNR figures of both scales', () => {
    const targets = PAGES.flatMap((page) => relativeTargets(readFileSync(join(REPORT, page), 'utf8')).map((t) => [page, t] as const));
    for (const [page, target] of targets) expect(existsSync(join(REPORT, target)), `${page} links to ${target}`).toBe(true);
    const linked = targets.map(([, t]) => t);
    for (const figure of ['psnr-steps_x4.png', 'psnr-steps_x8.png', 'montage_x4.png']) expect(linked).toContain(figure);
    expect(relativeTargets('[a](missing.png) [b](https://x.y/z.png)')).toEqual(['missing.png']);
  });
});
