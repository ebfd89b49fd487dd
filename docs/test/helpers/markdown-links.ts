/** Relative link and image targets of a Markdown text, in order (anchors dropped, URLs left out). */
export function relativeTargets(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}
