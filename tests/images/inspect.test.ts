import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_FORMATS,
  IMAGE_REJECTION_CODES,
  dhashFromGrayscale,
  lumaOf,
  hammingDistance,
  inspectImage,
  isImageRejectionCode,
  trailingByteCount,
} from '../../src/images/index.js';
import { plainPngSize } from '../../src/images/container.js';
import type { ImageRejectionCode } from '../../src/images/index.js';
import { EXIF_MAKE, PNG_SIGNATURE, SCREEN_HEIGHT, SCREEN_WIDTH, ihdr, pngChunk } from '../fixtures/images/generate.js';
import type { FixtureName } from '../fixtures/images/generate.js';
import { fixture, noise, okOf, rejectionOf, solid } from './helpers.js';

describe('inspectImage on the fixtures', () => {
  it.each(['valid-screenshot.png', 'valid-screenshot.jpg', 'valid-screenshot.webp'] as const)('accepts %s', async (name) => {
    const image = okOf(await inspectImage(fixture(name)));
    expect(image.width).toBe(SCREEN_WIDTH);
    expect(image.height).toBe(SCREEN_HEIGHT);
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(image.dhash).toMatch(/^[0-9a-f]{16}$/);
    expect(image.trailingBytes).toBe(0);
    expect(image.pages).toBe(1);
  });

  const refused: Array<[FixtureName, ImageRejectionCode, string | undefined]> = [
    ['text-file.png', 'not-an-image', undefined],
    ['script.svg', 'unsupported-format', 'svg'],
    ['animated.gif', 'unsupported-format', 'gif'],
    ['truncated.png', 'corrupt', 'png'],
    ['pixel-bomb.png', 'too-many-pixels', 'png'],
    ['empty.png', 'empty', undefined],
    ['header-only.pdf', 'unsupported-format', 'pdf'],
    ['heic-like.heic', 'unsupported-format', 'heic'],
  ];
  it.each(refused)('refuses %s as %s', async (name, code, format) => {
    const rejection = rejectionOf(await inspectImage(fixture(name)), code);
    expect(rejection.format).toBe(format);
    expect(rejection.detail.length).toBeGreaterThan(0);
  });

  it('names the accepted formats when refusing one', async () => {
    const rejection = rejectionOf(await inspectImage(fixture('animated.gif')), 'unsupported-format');
    for (const format of ACCEPTED_FORMATS) expect(rejection.detail).toContain(format);
  });

  it('judges a lying file by its bytes: JPEG named .png is a JPEG, and accepted', async () => {
    const image = okOf(await inspectImage(fixture('lying-jpeg.png')));
    expect(image.format).toBe('jpeg');
  });

  it('accepts the image part of a polyglot and reports the appended payload', async () => {
    const polyglot = fixture('polyglot-zip-html.png');
    const clean = fixture('valid-screenshot.png');
    const image = okOf(await inspectImage(polyglot));
    expect(image.format).toBe('png');
    expect(image.trailingBytes).toBe(polyglot.length - clean.length);
    // Same pixels, so the near-duplicate hash matches the clean file while the exact hash does not.
    const cleanImage = okOf(await inspectImage(clean));
    expect(image.dhash).toBe(cleanImage.dhash);
    expect(image.sha256).not.toBe(cleanImage.sha256);
  });

  it('reports the displayed size of an EXIF-rotated JPEG', async () => {
    const image = okOf(await inspectImage(fixture('exif-gps.jpg')));
    expect([image.width, image.height]).toEqual([120, 200]);
  });

  it('measures a plain PNG from its IHDR as the decoder would, and asks the decoder when an eXIf or acTL chunk is there', async () => {
    const png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#336699' } }).png().toBuffer();
    expect(plainPngSize(png)).toEqual({ width: 40, height: 20 });
    expect(plainPngSize(fixture('valid-screenshot.png'))).toEqual({ width: SCREEN_WIDTH, height: SCREEN_HEIGHT });
    // Orientation 6 (rotate 90°) in a big-endian TIFF block: the displayed size swaps the sides.
    const tiff = Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    const rotated = Buffer.concat([png.subarray(0, 33), pngChunk('eXIf', tiff), png.subarray(33)]);
    expect(plainPngSize(rotated)).toBeUndefined();
    const meta = await sharp(rotated).metadata();
    const image = okOf(await inspectImage(rotated));
    expect([image.width, image.height]).toEqual([meta.autoOrient?.width, meta.autoOrient?.height]);
    const animated = Buffer.concat([png.subarray(0, 33), pngChunk('acTL', Buffer.alloc(8)), png.subarray(33)]);
    expect(plainPngSize(animated)).toBeUndefined();
    // A chunk walk that runs off the end is the decoder's to judge (and refuse).
    expect(plainPngSize(png.subarray(0, png.length - 20))).toBeUndefined();
    expect(rejectionOf(await inspectImage(fixture('truncated.png')), 'corrupt').format).toBe('png');
  });

  it('gives the same dhash to the screen in all three formats, give or take a bit or two', async () => {
    const [png, jpg, webp] = await Promise.all(
      (['valid-screenshot.png', 'valid-screenshot.jpg', 'valid-screenshot.webp'] as const).map(async (n) => okOf(await inspectImage(fixture(n))).dhash),
    );
    expect(hammingDistance(png ?? '', jpg ?? '')).toBeLessThanOrEqual(3);
    expect(hammingDistance(png ?? '', webp ?? '')).toBeLessThanOrEqual(3);
  });

  it('gives a resized copy a near dhash and unrelated noise a far one', async () => {
    const original = okOf(await inspectImage(fixture('valid-screenshot.png')));
    const smaller = await sharp(fixture('valid-screenshot.png')).resize(180).png().toBuffer();
    expect(hammingDistance(original.dhash, okOf(await inspectImage(smaller)).dhash)).toBeLessThanOrEqual(4);
    const other = okOf(await inspectImage(await noise(200, 300)));
    expect(hammingDistance(original.dhash, other.dhash)).toBeGreaterThan(12);
  });

  it('is deterministic', async () => {
    const a = okOf(await inspectImage(fixture('valid-screenshot.webp')));
    const b = okOf(await inspectImage(fixture('valid-screenshot.webp')));
    expect(a).toEqual(b);
  });
});

describe('inspectImage limits', () => {
  it('refuses a 30 MB buffer before looking inside it', async () => {
    const big = Buffer.alloc(30 * 1024 * 1024);
    fixture('valid-screenshot.png').copy(big);
    rejectionOf(await inspectImage(big), 'too-large');
  });

  it('refuses sides over 16384 and under 16, and aspect ratios over 20', async () => {
    // Header-only PNGs: the dimension check must fire before any decode is attempted.
    const header = (w: number, h: number): Buffer =>
      Buffer.concat([PNG_SIGNATURE, ihdr(w, h), pngChunk('IDAT', deflateSync(Buffer.alloc(0))), pngChunk('IEND', Buffer.alloc(0))]);
    expect(rejectionOf(await inspectImage(header(20_000, 100)), 'bad-dimensions').detail).toContain('20000x100');
    rejectionOf(await inspectImage(header(16_385, 1_000)), 'bad-dimensions');
    rejectionOf(await inspectImage(await solid(15, 400)), 'bad-dimensions');
    rejectionOf(await inspectImage(await solid(20, 500)), 'bad-dimensions');
    okOf(await inspectImage(await solid(20, 400)));
  });

  it('refuses more pixels than the limit even when each side is fine', async () => {
    rejectionOf(await inspectImage(await solid(400, 400), { maxPixels: 100_000 }), 'too-many-pixels');
    okOf(await inspectImage(await solid(300, 300), { maxPixels: 100_000 }));
  });

  it('refuses truncated JPEG and WebP, and a PNG with a broken CRC', async () => {
    for (const name of ['valid-screenshot.jpg', 'valid-screenshot.webp'] as const) {
      const whole = fixture(name);
      rejectionOf(await inspectImage(whole.subarray(0, Math.floor(whole.length * 0.7))), 'corrupt');
    }
    const png = Buffer.from(fixture('valid-screenshot.png'));
    // Flip a byte inside the first IDAT's data, leaving its CRC stale.
    const idat = png.indexOf('IDAT', 8, 'latin1');
    png[idat + 10] = (png[idat + 10] ?? 0) ^ 0xff;
    rejectionOf(await inspectImage(png), 'corrupt');
  });

  it('refuses a file whose signature and decoder disagree or whose header is garbage', async () => {
    const garbage = Buffer.concat([PNG_SIGNATURE, Buffer.from('not a chunk at all, just text')]);
    rejectionOf(await inspectImage(garbage), 'corrupt');
    const jpegSoiOnly = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02]);
    rejectionOf(await inspectImage(jpegSoiOnly), 'corrupt');
  });

  it('decodes only the first frame of an animated WebP', async () => {
    const animated = await sharp(fixture('animated.gif'), { animated: true }).webp().toBuffer();
    const image = okOf(await inspectImage(animated));
    expect(image.format).toBe('webp');
    expect(image.pages).toBe(3);
    expect(image.height).toBe(64);
  });

  it('survives many inspections at once', async () => {
    const inputs = Array.from({ length: 12 }, (_, i) => fixture(i % 2 ? 'valid-screenshot.png' : 'valid-screenshot.jpg'));
    const results = await Promise.all(inputs.map((bytes) => inspectImage(bytes)));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('can produce the normalized copy in the same call', async () => {
    const image = okOf(await inspectImage(fixture('exif-gps.jpg'), { normalize: { maxBytes: 1_000_000 } }));
    expect(image.normalized?.format).toBe('jpeg');
    expect(image.normalized?.bytes.includes(EXIF_MAKE)).toBe(false);
  });
});

describe('dhash and hammingDistance', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('8000000000000001', '0000000000000000')).toBe(2);
    expect(hammingDistance('ABCDEF0123456789', 'abcdef0123456789')).toBe(0);
  });

  it('throws on something that is not a dHash, rather than comparing garbage', () => {
    expect(() => hammingDistance('abc', '0000000000000000')).toThrow(RangeError);
    expect(() => hammingDistance('zzzzzzzzzzzzzzzz', '0000000000000000')).toThrow(RangeError);
  });

  it('sets a bit where a pixel is brighter than its right neighbour', () => {
    const falling = Uint8Array.from({ length: 72 }, (_, i) => 255 - (i % 9) * 10);
    expect(dhashFromGrayscale(falling)).toBe('ffffffffffffffff');
    const rising = Uint8Array.from({ length: 72 }, (_, i) => (i % 9) * 10);
    expect(dhashFromGrayscale(rising)).toBe('0000000000000000');
  });

  it('takes Rec. 601 luma of RGB thumbnails and passes grey ones through', () => {
    expect([...lumaOf(Uint8Array.from([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0]), 3)]).toEqual([255, 0, 76, 150]);
    expect([...lumaOf(Uint8Array.from([10, 255, 200, 255]), 2)]).toEqual([10, 200]);
  });
});

describe('rejection codes', () => {
  it('are exported for the i18n module, each recognisable', () => {
    expect(IMAGE_REJECTION_CODES).toHaveLength(10);
    for (const code of IMAGE_REJECTION_CODES) expect(isImageRejectionCode(code)).toBe(true);
    expect(isImageRejectionCode('nope')).toBe(false);
  });
});

describe('trailingByteCount', () => {
  it('finds the end of each format and counts what follows', () => {
    const tail = Buffer.from('<script>alert(1)</script>');
    expect(trailingByteCount(Buffer.concat([fixture('valid-screenshot.png'), tail]), 'png')).toBe(tail.length);
    expect(trailingByteCount(Buffer.concat([fixture('valid-screenshot.jpg'), tail]), 'jpeg')).toBe(tail.length);
    expect(trailingByteCount(Buffer.concat([fixture('valid-screenshot.webp'), tail]), 'webp')).toBe(tail.length);
    expect(trailingByteCount(fixture('exif-gps.jpg'), 'jpeg')).toBe(0);
    expect(trailingByteCount(fixture('truncated.png'), 'png')).toBe(0);
  });
});
