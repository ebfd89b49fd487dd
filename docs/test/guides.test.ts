/**
 * The guides' TypeScript samples must match the real APIs: every ```ts block is compiled as a
 * module of the docs workspace (strict, the repository's compiler options) against the
 * packages' sources, and must have no type errors. Links between guides must resolve.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks, codeBlocksIn } from './helpers/code-blocks.js';
import type { CodeBlock } from './helpers/code-blocks.js';
import { relativeTargets } from './helpers/markdown-links.js';

const DOCS = fileURLToPath(new URL('..', import.meta.url));
const GUIDES = join(DOCS, 'guides');
const GUIDE_FILES = ['quick-start.md', 'compose-a-pipeline.md', 'backends.md', 'training.md', 'diffusers-interop.md', 'bring-stable-diffusion-weights.md', 'upscaling-at-scale.md'];

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(DOCS, 'tsconfig.json');
  const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, DOCS);
  return { ...parsed.options, noEmit: true };
}

/** Type errors of each block, compiled together as separate modules. */
function typeErrors(blocks: readonly CodeBlock[]): string[] {
  // Inside docs/ so that module resolution and "type": "module" are the docs workspace's.
  const virtual = new Map(blocks.map((b, i) => [join(DOCS, 'guides', `.sample-${i}.ts`), b]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (virtual.has(f) ? virtual.get(f)!.code : readFile(f));
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) =>
    virtual.has(f) ? ts.createSourceFile(f, virtual.get(f)!.code, lang, true) : getSourceFile(f, lang, onError, create);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const errors: string[] = [];
  for (const [path, block] of virtual) {
    const source = program.getSourceFile(path)!;
    for (const d of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line } = source.getLineAndCharacterOfPosition(d.start ?? 0);
      errors.push(`${block.file}:${block.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  }
  return errors;
}

const BAD_SAMPLE = "```ts\nimport { YonosPipeline } from '@yonos/sampler';\nawait YonosPipeline.fromPretrained(42, { stepz: 1 });\n```\n";

let compiled: { readonly guides: string[]; readonly bad: string[]; readonly samples: number } | undefined;

/** Compiles every guide sample and one wrong sample in one program (compiling is the slow part). */
function compileOnce(): NonNullable<typeof compiled> {
  if (compiled === undefined) {
    const blocks = codeBlocksIn(GUIDES).filter((b) => b.lang === 'ts');
    const errors = typeErrors([...blocks, ...codeBlocks('bad.md', BAD_SAMPLE)]);
    compiled = {
      guides: errors.filter((e) => !e.startsWith('bad.md:')),
      bad: errors.filter((e) => e.startsWith('bad.md:')),
      samples: blocks.length,
    };
  }
  return compiled;
}

describe('guides', () => {
  it('exist, each with a title', () => {
    for (const file of GUIDE_FILES) {
      const text = readFileSync(join(GUIDES, file), 'utf8');
      expect(text, file).toMatch(/^---\ntitle: .+\n/);
      expect(text, file).toMatch(/^# /m);
    }
  });

  it('have TypeScript samples that compile against the packages', () => {
    const { guides, bad, samples } = compileOnce();
    expect(samples).toBeGreaterThanOrEqual(10);
    expect(guides).toEqual([]);
    // The check can fail: a sample with a wrong argument and an unknown option is reported.
    expect(bad.length).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it('are all listed in the typedoc site, in reading order', () => {
    const typedoc = JSON.parse(readFileSync(join(DOCS, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] };
    const onDisk = readdirSync(GUIDES).filter((f) => f.endsWith('.md'));
    // An explicit list, not a glob: typedoc keeps documents in the order given.
    expect(typedoc.projectDocuments.filter((d) => d.startsWith('guides/'))).toEqual(GUIDE_FILES.map((f) => `guides/${f}`));
    expect([...onDisk].sort()).toEqual([...GUIDE_FILES].sort());
  });

  it('link to files that exist', () => {
    for (const file of GUIDE_FILES) {
      const text = readFileSync(join(GUIDES, file), 'utf8');
      for (const target of relativeTargets(text)) {
        expect(existsSync(join(dirname(join(GUIDES, file)), target)), `${file} links to ${target}`).toBe(true);
      }
    }
  });
});
