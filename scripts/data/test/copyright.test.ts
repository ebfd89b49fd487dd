import { describe, expect, it } from 'vitest';
import { fileLicence, parseCopyright } from '../lib/copyright.js';

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: some-wallpapers

Files: *
Copyright: 2014 Someone
License: GPL-2+

Files: 16.04/Bridge_by_Sander_Klootwijk.jpg
       nature/*.jpg
Copyright: 2018 Sander Klootwijk
License: CC-BY-SA-4.0

Files: debian/*
 AUTHORS
Copyright: 2018 Packager
License: Expat

Files: logo.png
Copyright: 1999 SPI
License: GPL-3+ or CC-BY-SA-3.0

License: GPL-2+
 This program is free software; ...
 .
 License: not a field, the text goes on
`;

describe('parseCopyright', () => {
  it("joins the distinct licences of a machine-readable file's stanzas, packaging left out", () => {
    const c = parseCopyright(DEP5);
    expect(c.machineReadable).toBe(true);
    expect(c.licence).toBe('GPL-2+ AND CC-BY-SA-4.0 AND Expat AND (GPL-3+ or CC-BY-SA-3.0)');
    expect(parseCopyright(DEP5.replace(/\n AUTHORS/, '')).licence).toBe('GPL-2+ AND CC-BY-SA-4.0 AND (GPL-3+ or CC-BY-SA-3.0)');
  });

  it('finds licence phrases in a free-text file', () => {
    const text = `Copyright:\n - a.jpg:\n   Licensed under Creative Commons Attribution-ShareAlike 3.0 License.\n - b.jpg:\n   Licensed under Creative Commons Attribution 2.0 License.\n\nLicenses:\n   it under the terms of the GNU General Public License as published by\n   the Free Software Foundation; either version 2 of the License, or\n   (at your option) any later version.\n\nCreative Commons Attribution-Share Alike 3.0 United States License\n`;
    const c = parseCopyright(text);
    expect(c.machineReadable).toBe(false);
    expect(c.licence).toBe('CC-BY-SA-3.0 AND CC-BY-2.0 AND GPL-2+');
    expect(parseCopyright('nothing here').licence).toBe('unknown');
  });
});

describe('fileLicence', () => {
  const c = parseCopyright(DEP5);
  it('takes the last stanza naming the installed file, by path tail or by file name', () => {
    expect(fileLicence(c, 'usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg')).toBe('CC-BY-SA-4.0');
    expect(fileLicence(c, 'usr/share/backgrounds/mate/nature/Aqua.jpg')).toBe('CC-BY-SA-4.0');
    expect(fileLicence(c, 'usr/share/backgrounds/other.jpg')).toBe('GPL-2+');
  });

  it('is undefined when no stanza names the file', () => {
    expect(fileLicence(parseCopyright(DEP5.replace(/Files: \*\n[^]*?\n\n/, '')), 'usr/share/x.jpg')).toBeUndefined();
  });
});
