import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { reencodeStripped, sniffImageType } from '../../src/images/index.js';
import { EXIF_MAKE, POLYGLOT_MARKER, SCREEN_HEIGHT, SCREEN_WIDTH } from '../fixtures/images/generate.js';
import { fixture, noise, okOf, rejectionOf } from './helpers.js';

const ROOMY = 8 * 1024 * 1024;

describe('reencodeStripped', () => {
  it('drops EXIF (GPS, camera make) and bakes the orientation into the pixels', async () => {
    const input = fixture('exif-gps.jpg');
    const before = await sharp(input).metadata();
    // The fixture really carries what we claim to strip.
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes(EXIF_MAKE)).toBe(true);

    const out = okOf(await reencodeStripped(input, { maxBytes: ROOMY }));
    const after = await sharp(out.bytes).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(out.bytes.includes('Exif\0\0', 0, 'latin1')).toBe(false);
    expect(out.bytes.includes(EXIF_MAKE)).toBe(false);
    // Shown upright without the tag: stored portrait now.
    expect([out.width, out.height, after.width, after.height]).toEqual([120, 200, 120, 200]);
  });

  it('drops ICC profiles, XMP and PNG text chunks', async () => {
    const tagged = await sharp(fixture('valid-screenshot.png'))
      .withIccProfile('p3')
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
      .withExif({ IFD0: { Copyright: 'secret-owner' } })
      .png()
      .toBuffer();
    const before = await sharp(tagged).metadata();
    expect(before.icc).toBeDefined();
    const out = okOf(await reencodeStripped(tagged, { maxBytes: ROOMY }));
    const after = await sharp(out.bytes).metadata();
    expect([after.icc, after.xmp, after.exif, after.comments]).toEqual([undefined, undefined, undefined, undefined]);
    expect(out.bytes.includes('secret-owner')).toBe(false);
  });

  it('leaves the polyglot payload behind', async () => {
    const out = okOf(await reencodeStripped(fixture('polyglot-zip-html.png'), { maxBytes: ROOMY }));
    expect(out.bytes.includes(POLYGLOT_MARKER)).toBe(false);
    expect(out.bytes.includes('PK\x03\x04', 0, 'latin1')).toBe(false);
  });

  it('keeps PNG for screenshots when it fits, JPEG for photos', async () => {
    const png = okOf(await reencodeStripped(fixture('valid-screenshot.webp'), { maxBytes: ROOMY }));
    expect(png.format).toBe('png');
    expect(sniffImageType(png.bytes)).toBe('png');
    expect([png.width, png.height]).toEqual([SCREEN_WIDTH, SCREEN_HEIGHT]);
    const jpeg = okOf(await reencodeStripped(fixture('valid-screenshot.jpg'), { maxBytes: ROOMY }));
    expect(jpeg.format).toBe('jpeg');
    expect(sniffImageType(jpeg.bytes)).toBe('jpeg');
  });

  it('compresses, then shrinks, until the output fits the cap', async () => {
    const input = await noise(800, 1200);
    expect(input.length).toBeGreaterThan(1_000_000);
    for (const maxBytes of [400_000, 60_000]) {
      const out = okOf(await reencodeStripped(input, { maxBytes }));
      expect(out.bytes.length).toBeLessThanOrEqual(maxBytes);
      expect(out.format).toBe('jpeg');
      const meta = await sharp(out.bytes).metadata();
      expect([meta.width, meta.height]).toEqual([out.width, out.height]);
      // Aspect ratio is kept while shrinking.
      expect(Math.abs(out.width / out.height - 800 / 1200)).toBeLessThan(0.02);
    }
  });

  it('caps the longest side', async () => {
    const out = okOf(await reencodeStripped(fixture('valid-screenshot.png'), { maxBytes: ROOMY, maxOutputSide: 320 }));
    expect(out.height).toBe(320);
    expect(out.width).toBe(180);
  });

  it('reports too-large when no readable size fits', async () => {
    rejectionOf(await reencodeStripped(await noise(400, 400), { maxBytes: 200 }), 'too-large');
    rejectionOf(await reencodeStripped(fixture('valid-screenshot.png'), { maxBytes: 0 }), 'too-large');
  });

  it('refuses the same hostile inputs as inspectImage', async () => {
    rejectionOf(await reencodeStripped(fixture('pixel-bomb.png'), { maxBytes: ROOMY }), 'too-many-pixels');
    rejectionOf(await reencodeStripped(fixture('truncated.png'), { maxBytes: ROOMY }), 'corrupt');
    rejectionOf(await reencodeStripped(fixture('script.svg'), { maxBytes: ROOMY }), 'unsupported-format');
    rejectionOf(await reencodeStripped(fixture('empty.png'), { maxBytes: ROOMY }), 'empty');
  });
});
