// Decides whether bytes are a screenshot we are willing to look at, and fingerprints it for
// duplicate detection. The header checks in header.ts run first; only then is the image decoded.
import { createHash } from 'node:crypto';
import { trailingByteCount } from './container.js';
import { openImage, withDecodeSlot } from './decoder.js';
import type { DecodeLimits } from './decoder.js';
import { errorText, readImageHeader, resolveLimits } from './header.js';
import type { ImageHeader } from './header.js';
import { reencodeStripped } from './reencode.js';
import type { ReencodedImage } from './reencode.js';
import { reject } from './rejection.js';
import type { ImageResult } from './rejection.js';

export interface InspectOptions extends Partial<DecodeLimits> {
  /** Also produce a metadata-free copy that fits in this many bytes (see reencodeStripped). */
  normalize?: { maxBytes: number; maxDimension?: number };
}

export interface InspectedImage extends ImageHeader {
  /** Of the bytes as received, for exact-duplicate detection. */
  sha256: string;
  /** 64-bit difference hash as 16 hex digits, for near-duplicate detection (see hammingDistance). */
  dhash: string;
  /**
   * Bytes after the end of the image data. Non-zero means a polyglot or an appended payload; such
   * files are accepted because only decoded pixels are ever re-served (see reencodeStripped), so the
   * payload never leaves this module. Callers may log or flag it.
   */
  trailingBytes: number;
  normalized?: ReencodedImage;
}

export type InspectResult = ImageResult<InspectedImage>;

const DHASH_WIDTH = 9;
const DHASH_HEIGHT = 8;

/** Difference hash: each bit says whether a pixel is brighter than its right neighbour in a 9×8 grayscale thumbnail. */
export function dhashFromGrayscale(pixels: Uint8Array): string {
  if (pixels.length !== DHASH_WIDTH * DHASH_HEIGHT) throw new RangeError(`expected ${DHASH_WIDTH * DHASH_HEIGHT} pixels, got ${pixels.length}`);
  let hex = '';
  for (let row = 0; row < DHASH_HEIGHT; row++) {
    let byte = 0;
    for (let col = 0; col < DHASH_WIDTH - 1; col++) {
      const left = pixels[row * DHASH_WIDTH + col] ?? 0;
      const right = pixels[row * DHASH_WIDTH + col + 1] ?? 0;
      byte = (byte << 1) | (left > right ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

/** Rec. 601 luma of each pixel of an 8-bit sRGB (3+ channels) or grey (1–2 channels) buffer. */
export function lumaOf(pixels: Uint8Array, channels: number): Uint8Array {
  const count = Math.floor(pixels.length / channels);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * channels;
    out[i] =
      channels >= 3
        ? Math.round(0.299 * (pixels[at] ?? 0) + 0.587 * (pixels[at + 1] ?? 0) + 0.114 * (pixels[at + 2] ?? 0))
        : (pixels[at] ?? 0);
  }
  return out;
}

const DHASH_PATTERN = /^[0-9a-f]{16}$/i;

export function isDhash(value: string): boolean {
  return DHASH_PATTERN.test(value);
}

/** Number of differing bits between two dHashes (0 = same picture, ≤ ~10 = likely the same screenshot re-encoded or resized). */
export function hammingDistance(a: string, b: string): number {
  if (!isDhash(a) || !isDhash(b)) throw new RangeError('a dHash is 16 hexadecimal digits');
  let diff = BigInt.asUintN(64, BigInt(`0x${a}`) ^ BigInt(`0x${b}`));
  let count = 0;
  while (diff !== 0n) {
    diff &= diff - 1n;
    count++;
  }
  return count;
}

export async function inspectImage(bytes: Buffer, opts: InspectOptions = {}): Promise<InspectResult> {
  const limits = resolveLimits(opts);
  const result = await withDecodeSlot(async (): Promise<InspectResult> => {
    const header = await readImageHeader(bytes, limits);
    if (!header.ok) return header;

    let thumbnail: Uint8Array;
    try {
      // A full decode happens here, so this is where truncated or corrupt pixel data is caught.
      // Transparent pixels are flattened onto white, as Discord's light theme would show them.
      // The shrink comes before grey: greyscale() in sharp converts every pixel of the screenshot,
      // ~35% of this call's CPU (bench, 2026-11); lumaOf() converts the 72 left. Hashes move by 0–1
      // bit against the grey-first order (tests/images), far inside DHASH_MAX_DISTANCE.
      const { data, info } = await openImage(bytes, limits)
        .autoOrient()
        .flatten({ background: '#ffffff' })
        .resize(DHASH_WIDTH, DHASH_HEIGHT, { fit: 'fill' })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.width * info.height !== DHASH_WIDTH * DHASH_HEIGHT || data.length !== info.width * info.height * info.channels) {
        return reject('corrupt', `unexpected thumbnail ${info.width}x${info.height}x${info.channels}`, header.format);
      }
      thumbnail = lumaOf(data, info.channels);
    } catch (error) {
      return reject('corrupt', `decode failed: ${errorText(error)}`, header.format);
    }

    return {
      ...header,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      dhash: dhashFromGrayscale(thumbnail),
      trailingBytes: trailingByteCount(bytes, header.format),
    };
  });
  if (!result.ok || !opts.normalize) return result;

  // Outside the slot: reencodeStripped takes its own, and nesting would deadlock at the limit.
  const { normalize, ...limitOverrides } = opts;
  const normalized = await reencodeStripped(bytes, { ...limitOverrides, ...normalize });
  if (!normalized.ok) return normalized;
  const { ok: _ok, ...image } = normalized;
  return { ...result, normalized: image };
}
