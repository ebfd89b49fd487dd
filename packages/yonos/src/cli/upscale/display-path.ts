import { isAbsolute, relative } from 'node:path';

/** A path as the user would recognize it: relative to the working directory when inside it; URLs as they are. */
export function displayPath(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
