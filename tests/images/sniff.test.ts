import { describe, expect, it } from 'vitest';
import { sniffImageType } from '../../src/images/index.js';
import type { SniffedFormat } from '../../src/images/index.js';
import type { FixtureName } from '../fixtures/images/generate.js';
import { fixture } from './helpers.js';

describe('sniffImageType', () => {
  const cases: Array<[FixtureName, SniffedFormat]> = [
    ['valid-screenshot.png', 'png'],
    ['valid-screenshot.jpg', 'jpeg'],
    ['valid-screenshot.webp', 'webp'],
    ['text-file.png', 'unknown'],
    ['script.svg', 'svg'],
    ['animated.gif', 'gif'],
    ['truncated.png', 'png'],
    ['pixel-bomb.png', 'png'],
    ['exif-gps.jpg', 'jpeg'],
    ['empty.png', 'unknown'],
    ['header-only.pdf', 'pdf'],
    ['heic-like.heic', 'heic'],
    ['polyglot-zip-html.png', 'png'],
    // The name says PNG; the bytes decide.
    ['lying-jpeg.png', 'jpeg'],
  ];
  it.each(cases)('%s → %s', (name, format) => {
    expect(sniffImageType(fixture(name))).toBe(format);
  });

  it('recognises SVG behind a BOM, whitespace, comments and a doctype', () => {
    const svg = '\uFEFF \n<!-- hi --><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg viewBox="0 0 1 1"/>';
    expect(sniffImageType(Buffer.from(svg, 'utf8'))).toBe('svg');
  });

  it('does not call HTML or XML an SVG', () => {
    expect(sniffImageType(Buffer.from('<html><body>svg</body></html>'))).toBe('unknown');
    expect(sniffImageType(Buffer.from('<?xml version="1.0"?><svgfoo/>'))).toBe('unknown');
  });

  it('recognises GIF87a, AVIF as HEIF, and ignores other ISO-BMFF files (mp4)', () => {
    expect(sniffImageType(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toBe('gif');
    expect(sniffImageType(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0', 'latin1'))).toBe('heic');
    expect(sniffImageType(Buffer.from('\0\0\0\x1cftypisom\0\0\0\0', 'latin1'))).toBe('unknown');
  });

  it('needs the whole signature: prefixes and RIFF that is not WebP are unknown', () => {
    expect(sniffImageType(Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toBe('unknown');
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBe('unknown');
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'))).toBe('unknown');
  });

  it('works on a Uint8Array view with an offset', () => {
    const png = fixture('valid-screenshot.png');
    const padded = new Uint8Array(png.length + 5);
    padded.set(png, 5);
    expect(sniffImageType(padded.subarray(5))).toBe('png');
  });
});
