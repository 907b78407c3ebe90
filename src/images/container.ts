// Finds where the image data ends inside a buffer, so bytes appended after it (a ZIP, HTML or
// script riding along in a polyglot) can be counted. Decoders ignore such trailers, which is what
// makes polyglots work; we report them instead of guessing whether they are malicious.
import type { AcceptedFormat } from './rejection.js';

/**
 * Walks a PNG's chunks from the signature: `refuse` sees each chunk type and may end the walk.
 * Returns the offset just past IEND, or undefined when the walk breaks or a chunk was refused.
 */
function pngWalk(bytes: Buffer, refuse: (type: string) => boolean = () => false): number | undefined {
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const next = at + 12 + length;
    if (next > bytes.length || refuse(type)) return undefined;
    if (type === 'IEND') return next;
    at = next;
  }
  return undefined;
}

/**
 * A PNG's size from its IHDR, when the chunk walk reaches IEND and nothing could make the decoder
 * see it differently: no eXIf (its orientation would swap the sides) and no acTL (an animation's
 * frames). Otherwise undefined, and the decoder is asked. Saves a libvips round trip per screenshot.
 */
export function plainPngSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 33 || bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  if (pngWalk(bytes, (type) => type === 'eXIf' || type === 'acTL') === undefined) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function isStandaloneMarker(marker: number): boolean {
  // TEM and RST0-7 carry no length field.
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/** Byte offset just past the JPEG EOI marker, walking segments so an EOI inside EXIF thumbnails or scan data is not mistaken for the end. */
function jpegEnd(bytes: Buffer): number | undefined {
  let at = 2; // past SOI
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    let marker = bytes[at + 1] ?? 0;
    // Fill bytes: any number of 0xFF may precede a marker.
    while (marker === 0xff && at + 2 < bytes.length) {
      at++;
      marker = bytes[at + 1] ?? 0;
    }
    if (marker === 0xd9) return at + 2;
    if (isStandaloneMarker(marker)) {
      at += 2;
      continue;
    }
    if (at + 3 >= bytes.length) return undefined;
    const length = bytes.readUInt16BE(at + 2);
    at += 2 + length;
    if (marker === 0xda) {
      // Entropy-coded data follows SOS: skip to the next marker that is neither a stuffed 0x00 nor a restart.
      while (at + 1 < bytes.length) {
        if (bytes[at] === 0xff) {
          const following = bytes[at + 1] ?? 0;
          if (following !== 0x00 && !(following >= 0xd0 && following <= 0xd7) && following !== 0xff) break;
        }
        at++;
      }
    }
  }
  return undefined;
}

function webpEnd(bytes: Buffer): number | undefined {
  if (bytes.length < 12) return undefined;
  const riffSize = bytes.readUInt32LE(4);
  // RIFF chunks are padded to an even size.
  const end = 8 + riffSize + (riffSize % 2);
  return end <= bytes.length ? end : undefined;
}

/** How many bytes follow the end of the image data (0 when none, or when the end cannot be found: the decoder will judge that file). */
export function trailingByteCount(bytes: Buffer, format: AcceptedFormat): number {
  const end = format === 'png' ? pngWalk(bytes) : format === 'jpeg' ? jpegEnd(bytes) : webpEnd(bytes);
  return end === undefined ? 0 : bytes.length - end;
}
