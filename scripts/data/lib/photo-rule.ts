/**
 * Which wallpaper files are photographs worth training on. Desktop-background packages mix
 * camera photographs with paintings, 3-D renders, logos and vector art; a super-resolution
 * model must learn from real photographs, so the rule is, in order:
 *
 * 1. raster files only (SVG is vector art);
 * 2. no `screenshot.*` (Plasma's preview thumbnails);
 * 3. JPEG, or a PNG on {@link PNG_PHOTOGRAPHS}: photographs ship as JPEG, and every other PNG
 *    and WebP wallpaper of these packages is a render or an illustration (checked by eye on
 *    Debian 12's versions; lxqt-themes alone ships photographs as PNG, listed by name);
 * 4. short side at least {@link MIN_SHORT_SIDE} px (drops phone-portrait variants);
 * 5. not on {@link NOT_PHOTOGRAPHS}, the JPEGs that are paintings, renders, logos or heavy
 *    edits (by eye);
 * 6. not mostly flat: at most {@link MAX_FLAT_FRACTION} of neighbouring pixels equal
 *    (a safety net for synthetic images a future package version may add; it also drops
 *    photographs that are mostly smooth blur, whose crops would teach little);
 * 7. one copy per wallpaper: the largest of its sizes.
 */

/** Smallest accepted short side in pixels (rule 4). */
export const MIN_SHORT_SIDE = 1024;

/**
 * Largest accepted fraction of pixels whose 8-bit gray value equals both its left and upper
 * neighbour on a 512-px-wide thumbnail (rule 6). The JPEG photographs of Debian 12's packages
 * measure 0.002–0.40, lxqt-themes' lossless PNG photographs up to 0.54 (smooth bokeh without
 * JPEG noise: its butterfly and drop fall out here); synthetic wallpapers 0.16–1, so this is a
 * safety net only and the by-eye lists decide.
 */
export const MAX_FLAT_FRACTION = 0.4;

/** A file of a package singled out by looking at it (rules 3 and 5). */
export interface ListedFile {
  readonly package: string;
  /** Matches a file whose package path contains this text. */
  readonly pathContains: string;
  readonly reason: string;
}

/** A JPEG of a package that is not a camera photograph (rule 5). */
export type NotPhotograph = ListedFile;

/**
 * The by-eye list of rule 3: PNG files that are camera photographs (Debian 12: lxqt-themes 1.2,
 * whose other PNG wallpapers are renders and logos).
 */
export const PNG_PHOTOGRAPHS: readonly ListedFile[] = [
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/Valendas.png', reason: 'mountains under clouds' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/appleflower.png', reason: 'apple blossom' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/beam.png', reason: 'sunbeam over hills' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/butterfly.png', reason: 'a butterfly on a flower' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/cloud.png', reason: 'clouds' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/drop.png', reason: 'a water drop on grass' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/flowers.png', reason: 'a meadow of flowers' },
];

/**
 * The by-eye list of rule 5 (Debian 12: mate-backgrounds 1.26, plasma-workspace-wallpapers 5.27,
 * lomiri-wallpapers-16.04 and -20.04 20.04.0, lxqt-themes 1.2, ukui-wallpapers 20.04.3).
 */
export const NOT_PHOTOGRAPHS: readonly NotPhotograph[] = [
  { package: 'mate-backgrounds', pathContains: '/mate/abstract/Elephants', reason: 'a painting' },
  { package: 'mate-backgrounds', pathContains: '/mate/desktop/GreenTraditional.', reason: 'a logo on a flat background' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/Autumn/', reason: 'a painting' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/SafeLanding/', reason: 'an illustration' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/Flow/', reason: 'a 3-D render' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/Honeywave/', reason: 'a 3-D render' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/PastelHills/', reason: 'a low-poly render' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/Shell/', reason: 'a 3-D render' },
  { package: 'plasma-workspace-wallpapers', pathContains: '/wallpapers/Volna/', reason: 'a 3-D render' },
  { package: 'lomiri-wallpapers-16.04', pathContains: '/analogpattern_by_Peter_Nerlich.', reason: 'a heavy edit: a wall texture under a green-to-purple colour wash' },
  { package: 'lomiri-wallpapers-16.04', pathContains: '/umang_by_Abhishek_Mudgal.', reason: 'a 3-D render' },
  { package: 'lomiri-wallpapers-20.04', pathContains: '/Fossa_by_Jasper_Roks.', reason: 'an illustration' },
  { package: 'lomiri-wallpapers-20.04', pathContains: '/Infinite-Sea_by_Aury88.', reason: 'a composite: a tinted Milky Way over a rendered sea' },
  { package: 'lomiri-wallpapers-20.04', pathContains: '/Painting-Colors_by__herobrine7gamer.', reason: 'an illustration' },
  { package: 'lxqt-themes', pathContains: '/lxqt/wallpapers/waves-purple-logo.', reason: 'a logo on a render' },
  // Not in the default package list (no photographs), listed so that passing it stays safe; its other JPEGs are mostly flat.
  { package: 'ukui-wallpapers', pathContains: '/backgrounds/string.', reason: 'a 3-D render' },
];

/** Extensions of the files the scan looks at (lower case, with the dot). */
export const SCANNED_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.svg', '.gif', '.tif', '.tiff', '.jxl'];

/** What the rule needs to know of one file, before decoding its pixels. */
export interface WallpaperFile {
  /** Debian package name. */
  readonly package: string;
  /** Path inside the package, `/`-separated, e.g. `usr/share/wallpapers/Path/contents/images/2560x1600.jpg`. */
  readonly path: string;
  /** Format as sharp reports it (`jpeg`, `png`, `webp`, `svg`, ...). */
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Rules 1–5: the reason a file is not a training photograph, or `undefined` if it passes
 * (rule 6 then needs its pixels, rule 7 the other files).
 */
export function ruleOut(file: WallpaperFile): string | undefined {
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  if (file.format === 'svg') return 'vector art (SVG)';
  if (name.startsWith('screenshot.')) return 'preview thumbnail';
  if (file.format !== 'jpeg' && !(file.format === 'png' && findListed(PNG_PHOTOGRAPHS, file) !== undefined)) {
    return `not a JPEG (${file.format}): the PNG/WebP wallpapers of these packages are renders or illustrations, except those on PNG_PHOTOGRAPHS`;
  }
  if (Math.min(file.width, file.height) < MIN_SHORT_SIDE) return `short side ${Math.min(file.width, file.height)} px < ${MIN_SHORT_SIDE}`;
  const listed = findListed(NOT_PHOTOGRAPHS, file);
  if (listed !== undefined) return `not a photograph: ${listed.reason}`;
  return undefined;
}

function findListed(list: readonly ListedFile[], file: Pick<WallpaperFile, 'package' | 'path'>): ListedFile | undefined {
  return list.find((n) => n.package === file.package && ('/' + file.path).includes(n.pathContains));
}

/** Rule 6: the reason for a too-flat image, or `undefined`. */
export function ruleOutFlat(flatFraction: number): string | undefined {
  return flatFraction > MAX_FLAT_FRACTION ? `mostly flat (${flatFraction.toFixed(3)} > ${MAX_FLAT_FRACTION})` : undefined;
}

/**
 * The identity of a wallpaper across its sizes: Plasma's `wallpapers/<Name>/contents/<images|images_dark>/WxH.ext`
 * becomes `<package>:<Name>/<images|images_dark>`; any other file its path without the
 * extension and a trailing `_WxH` (`Elephants_3840x2160.jpg` and `Elephants.jpg` match).
 */
export function wallpaperKey(file: Pick<WallpaperFile, 'package' | 'path'>): string {
  const plasma = /wallpapers\/([^/]+)\/contents\/([^/]+)\/\d+x\d+\.[a-z]+$/i.exec(file.path);
  if (plasma !== null) return `${file.package}:${plasma[1]}/${plasma[2]}`;
  return `${file.package}:${file.path.replace(/\.[a-z0-9]+$/i, '').replace(/_\d+x\d+$/, '')}`;
}

/**
 * Rule 7: of the files sharing a {@link wallpaperKey}, keeps the one with the most pixels
 * (the first in code-point path order on a tie).
 * @returns a map from every file's path to `undefined` (kept) or the reason it was dropped.
 */
export function dedupeSizes<T extends Pick<WallpaperFile, 'package' | 'path' | 'width' | 'height'>>(
  files: readonly T[],
): Map<T, string | undefined> {
  const best = new Map<string, T>();
  for (const f of files) {
    const key = wallpaperKey(f);
    const cur = best.get(key);
    const better = cur === undefined || f.width * f.height > cur.width * cur.height ||
      (f.width * f.height === cur.width * cur.height && f.path < cur.path);
    if (better) best.set(key, f);
  }
  const out = new Map<T, string | undefined>();
  for (const f of files) {
    const kept = best.get(wallpaperKey(f))!;
    out.set(f, kept === f ? undefined : `smaller copy of ${kept.path} (${kept.width}x${kept.height})`);
  }
  return out;
}
