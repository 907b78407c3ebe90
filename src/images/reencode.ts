// Produces the only copy of a screenshot that ever leaves the bot (moderators' review card, the
// optional kept copy): freshly encoded from decoded pixels, so EXIF/GPS, XMP, ICC, text chunks and
// anything appended to the original (polyglot payloads) are gone.
import { openImage, withDecodeSlot } from './decoder.js';
import type { DecodeLimits } from './decoder.js';
import { errorText, readImageHeader, resolveLimits } from './header.js';
import { reject } from './rejection.js';
import type { ImageResult } from './rejection.js';

export interface ReencodeOptions extends Partial<DecodeLimits> {
  /** The output must be at most this long, e.g. Discord's attachment_size_limit. */
  maxBytes: number;
  /** Longest side of the output; larger images are scaled down first. */
  maxOutputSide?: number;
}

export interface ReencodedImage {
  bytes: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

export type ReencodeResult = ImageResult<ReencodedImage>;

// 4096 px keeps every word of a scrolling capture legible in a review card, while bounding the
// encoder's work.
export const DEFAULT_MAX_OUTPUT_SIDE = 4096;
// Below this a screenshot is unreadable, so a cap that forces it is reported rather than met.
const MIN_OUTPUT_SIDE = 64;
const JPEG_QUALITIES = [85, 70] as const;
const MAX_ATTEMPTS = 12;

interface Attempt {
  side: number;
  format: 'png' | 'jpeg';
  quality: number;
}

async function encode(bytes: Buffer, limits: DecodeLimits, attempt: Attempt): Promise<ReencodedImage> {
  // autoOrient bakes the EXIF rotation into the pixels, since the tag itself is about to be dropped.
  // Not calling keepMetadata/withMetadata is what strips EXIF, XMP, IPTC and ICC (converted to sRGB).
  let pipeline = openImage(bytes, limits)
    .autoOrient()
    .resize({ width: attempt.side, height: attempt.side, fit: 'inside', withoutEnlargement: true });
  pipeline =
    attempt.format === 'png'
      ? pipeline.png({ compressionLevel: 9 })
      : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: attempt.quality });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { bytes: data, format: attempt.format, width: info.width, height: info.height };
}

/**
 * Re-encode without metadata, shrinking until the result fits `maxBytes`: lossless PNG first for
 * PNG/WebP input (text stays crisp), then JPEG at falling quality, then smaller sizes.
 */
export async function reencodeStripped(bytes: Buffer, opts: ReencodeOptions): Promise<ReencodeResult> {
  const limits = resolveLimits(opts);
  const { maxBytes } = opts;
  if (!(Number.isFinite(maxBytes) && maxBytes > 0)) return reject('too-large', `invalid output cap ${maxBytes}`);
  const maxSide = opts.maxOutputSide !== undefined && opts.maxOutputSide >= MIN_OUTPUT_SIDE ? opts.maxOutputSide : DEFAULT_MAX_OUTPUT_SIDE;

  return withDecodeSlot(async (): Promise<ReencodeResult> => {
    const header = await readImageHeader(bytes, limits);
    if (!header.ok) return header;

    let side = Math.min(maxSide, Math.max(header.width, header.height));
    const attempts: Attempt[] = [];
    if (header.format !== 'jpeg') attempts.push({ side, format: 'png', quality: 100 });
    for (const quality of JPEG_QUALITIES) attempts.push({ side, format: 'jpeg', quality });

    let smallest = Infinity;
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      const attempt = attempts.shift() ?? { side, format: 'jpeg', quality: JPEG_QUALITIES[JPEG_QUALITIES.length - 1] ?? 70 };
      let out: ReencodedImage;
      try {
        out = await encode(bytes, limits, attempt);
      } catch (error) {
        return reject('corrupt', `re-encode failed: ${errorText(error)}`, header.format);
      }
      if (out.bytes.length <= maxBytes) return { ok: true, ...out };
      smallest = Math.min(smallest, out.bytes.length);

      if (attempts.length === 0) {
        // Encoded size grows roughly with area, so scale the side by the square root of the overshoot
        // (with a margin) instead of creeping down in small steps.
        const ratio = Math.sqrt(maxBytes / out.bytes.length) * 0.9;
        side = Math.floor(attempt.side * Math.min(ratio, 0.8));
        if (side < MIN_OUTPUT_SIDE) break;
      }
    }
    return reject('too-large', `no re-encoding fits ${maxBytes} bytes (smallest ${smallest})`, header.format);
  });
}
