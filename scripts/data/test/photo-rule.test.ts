import { describe, expect, it } from 'vitest';
import { dedupeSizes, MAX_FLAT_FRACTION, MIN_SHORT_SIDE, ruleOut, ruleOutFlat, wallpaperKey } from '../lib/photo-rule.js';
import type { WallpaperFile } from '../lib/photo-rule.js';

const plasma = (name: string, size: string, format = 'jpeg', variant = 'images'): WallpaperFile => {
  const [w, h] = size.split('x').map(Number);
  return { package: 'plasma-workspace-wallpapers', path: `usr/share/wallpapers/${name}/contents/${variant}/${size}.${format === 'jpeg' ? 'jpg' : format}`, format, width: w!, height: h! };
};

describe('ruleOut', () => {
  it('keeps a large JPEG photograph', () => {
    expect(ruleOut(plasma('Path', '2560x1600'))).toBeUndefined();
  });

  it('drops vector art, thumbnails, non-JPEG and small files, each with its reason', () => {
    expect(ruleOut({ ...plasma('X', '100x100'), path: 'usr/share/backgrounds/gnome/blobs-d.svg', format: 'svg' })).toMatch(/SVG/);
    expect(ruleOut({ ...plasma('Path', '2560x1600'), path: 'usr/share/wallpapers/Path/contents/screenshot.jpg' })).toMatch(/thumbnail/);
    expect(ruleOut(plasma('Altai', '5120x2880', 'png'))).toMatch(/not a JPEG \(png\)/);
    expect(ruleOut(plasma('Shell', '720x1440'))).toMatch(new RegExp(`short side 720 px < ${MIN_SHORT_SIDE}`));
  });

  it('keeps only the PNGs listed as photographs, in their own package', () => {
    const png = (pkg: string, name: string): WallpaperFile => ({ package: pkg, path: `usr/share/lxqt/wallpapers/${name}`, format: 'png', width: 3000, height: 1993 });
    expect(ruleOut(png('lxqt-themes', 'flowers.png'))).toBeUndefined();
    expect(ruleOut(png('lxqt-themes', 'triangles.png'))).toMatch(/not a JPEG \(png\)/);
    expect(ruleOut(png('other-wallpapers', 'flowers.png'))).toMatch(/not a JPEG \(png\)/);
    expect(ruleOut({ ...png('lxqt-themes', 'flowers.png'), format: 'webp' })).toMatch(/not a JPEG \(webp\)/);
  });

  it('drops the JPEGs listed as paintings or renders, but only in their own package', () => {
    expect(ruleOut(plasma('Volna', '5120x2880'))).toMatch(/render/);
    expect(ruleOut({ ...plasma('Volna', '5120x2880'), package: 'other-wallpapers' })).toBeUndefined();
    expect(ruleOut({ package: 'mate-backgrounds', path: 'usr/share/backgrounds/mate/abstract/Elephants_3840x2160.jpg', format: 'jpeg', width: 3840, height: 2160 })).toMatch(/painting/);
    const lomiri = (name: string): WallpaperFile => ({ package: 'lomiri-wallpapers-20.04', path: `usr/share/backgrounds/${name}`, format: 'jpeg', width: 6028, height: 3391 });
    expect(ruleOut(lomiri('Infinite-Sea_by_Aury88.jpg'))).toMatch(/composite/);
    expect(ruleOut(lomiri('Kleiber_by_Lukas_Baubkus.jpg'))).toBeUndefined();
  });
});

describe('ruleOutFlat', () => {
  it('drops only images flatter than the threshold', () => {
    expect(ruleOutFlat(MAX_FLAT_FRACTION)).toBeUndefined();
    expect(ruleOutFlat(0.006)).toBeUndefined();
    expect(ruleOutFlat(MAX_FLAT_FRACTION + 0.01)).toMatch(/mostly flat/);
  });
});

describe('wallpaperKey / dedupeSizes', () => {
  it('groups the sizes of one wallpaper and keeps the largest', () => {
    const small = plasma('Honeywave', '1080x1920');
    const large = plasma('Honeywave', '5120x2880');
    const dark = plasma('Honeywave', '3840x2160', 'jpeg', 'images_dark');
    expect(wallpaperKey(small)).toBe(wallpaperKey(large));
    expect(wallpaperKey(dark)).not.toBe(wallpaperKey(large));
    const result = dedupeSizes([small, large, dark]);
    expect(result.get(large)).toBeUndefined();
    expect(result.get(dark)).toBeUndefined();
    expect(result.get(small)).toMatch(/smaller copy of .*5120x2880/);
  });

  it('matches a _WxH suffix to the plain name', () => {
    const a = { package: 'mate-backgrounds', path: 'x/Elephants.jpg', width: 1920, height: 1080 };
    const b = { package: 'mate-backgrounds', path: 'x/Elephants_5640x3172.jpg', width: 5640, height: 3172 };
    expect(wallpaperKey(a)).toBe(wallpaperKey(b));
    const result = dedupeSizes([a, b]);
    expect(result.get(b)).toBeUndefined();
    expect(result.get(a)).toBeDefined();
  });
});
