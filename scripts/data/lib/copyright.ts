import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from './files.js';

/**
 * The licence of a Debian package's files, read from its `usr/share/doc/<name>/copyright`, as
 * SPDX-style short names (`GPL-2+`, `CC-BY-SA-4.0`, ...: the names Debian's machine-readable
 * copyright format uses).
 */
export interface PackageCopyright {
  /** True if the file follows Debian's machine-readable format (a `Format:` header and `Files:` stanzas). */
  readonly machineReadable: boolean;
  /**
   * Every distinct licence of the package's own files (the `debian/*` packaging left out), in
   * order of appearance, joined with ` AND ` as SPDX does for a package whose files carry
   * different licences; `unknown` if none was found.
   */
  readonly licence: string;
  /** The `Files:` stanzas (machine-readable files only), `debian/*` left out. */
  readonly stanzas: readonly { readonly files: readonly string[]; readonly licence: string }[];
}

/** Parses a Debian copyright file (machine-readable, or free text as a fallback). */
export function parseCopyright(text: string): PackageCopyright {
  const paragraphs = text.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/);
  const machineReadable = /^Format:/m.test(paragraphs[0] ?? '');
  if (!machineReadable) {
    const licences = licencesInFreeText(text);
    return { machineReadable, licence: joinLicences(licences), stanzas: [] };
  }
  const stanzas = [];
  for (const paragraph of paragraphs) {
    const fields = parseFields(paragraph);
    const files = fields.get('files')?.split(/\s+/).filter((f) => f !== '');
    const licence = fields.get('license')?.split('\n')[0]!.trim();
    if (files === undefined || licence === undefined || licence === '') continue;
    if (files.every((f) => f.startsWith('debian/'))) continue;
    stanzas.push({ files, licence });
  }
  return { machineReadable, licence: joinLicences(stanzas.map((s) => s.licence)), stanzas };
}

/**
 * The licence of one installed file (a path inside the package, e.g.
 * `usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg`) by the last `Files:` stanza that
 * names it, or `undefined` if none does. The patterns are paths in the source tree, not where
 * the file is installed, so a pattern matches if it matches a tail of the path (at a `/`), or,
 * when its last part has no wildcard, if that part equals the file name
 * (`16.04/Bridge_by_Sander_Klootwijk.jpg`).
 */
export function fileLicence(copyright: PackageCopyright, path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const tails = [path, ...[...path.matchAll(/\//g)].map((m) => path.slice(m.index + 1))];
  let found: string | undefined;
  for (const stanza of copyright.stanzas) {
    const named = stanza.files.some((pattern) => {
      const re = globToRegExp(pattern);
      if (tails.some((t) => re.test(t))) return true;
      const last = pattern.slice(pattern.lastIndexOf('/') + 1);
      return !/[*?]/.test(last) && last === name;
    });
    if (named) found = stanza.licence;
  }
  return found;
}

/** Reads and parses `<root>/usr/share/doc/<name>/copyright`; `licence: 'unknown'` if the file is missing. */
export async function readPackageCopyright(root: string, name: string): Promise<PackageCopyright> {
  const path = join(root, 'usr/share/doc', name, 'copyright');
  if (!exists(path)) return { machineReadable: false, licence: 'unknown', stanzas: [] };
  return parseCopyright(await readFile(path, 'utf8'));
}

/** Fields of one stanza, lower-cased names, continuation lines joined with `\n`. */
function parseFields(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of paragraph.split('\n')) {
    const field = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
    if (field !== null) {
      current = field[1]!.toLowerCase();
      fields.set(current, field[2]!);
    } else if (current !== undefined && /^[ \t]/.test(line)) {
      fields.set(current, `${fields.get(current)!}\n${line.trim()}`);
    }
  }
  return fields;
}

/** DEP-5 glob: `*` any characters (`/` included), `?` any one. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Licence phrases of a free-text copyright file (gnome-backgrounds', for one). */
function licencesInFreeText(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ');
  const found: { at: number; name: string }[] = [];
  for (const m of flat.matchAll(/Creative Commons Attribution-Share ?Alike (\d\.\d)/gi)) found.push({ at: m.index, name: `CC-BY-SA-${m[1]!}` });
  for (const m of flat.matchAll(/Creative Commons Attribution (\d\.\d)/gi)) found.push({ at: m.index, name: `CC-BY-${m[1]!}` });
  for (const m of flat.matchAll(/GNU (Lesser )?General Public License,? as published by the Free Software Foundation; either version ([\d.]+)(?: of the License)?,? or \(at your option\) any later version/gi)) {
    found.push({ at: m.index, name: `${m[1] !== undefined ? 'LGPL' : 'GPL'}-${m[2]!}+` });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.name);
}

function joinLicences(licences: readonly string[]): string {
  const distinct = [...new Set(licences)];
  if (distinct.length === 0) return 'unknown';
  if (distinct.length === 1) return distinct[0]!;
  return distinct.map((l) => (/ (or|and) /i.test(l) ? `(${l})` : l)).join(' AND ');
}
