// The cheap half of intake: size, magic bytes and header dimensions, checked before any pixel is
// decoded so that a pixel bomb or a disguised file never reaches the full decoder.
import { plainPngSize } from './container.js';
import { DEFAULT_DECODE_LIMITS, openImage } from './decoder.js';
import type { DecodeLimits } from './decoder.js';
import { isAcceptedFormat, reject } from './rejection.js';
import type { AcceptedFormat, ImageResult } from './rejection.js';
import { sniffImageType } from './sniff.js';

export interface ImageHeader {
  format: AcceptedFormat;
  /** As displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  height: number;
  /** Frames in the file; only the first is ever decoded. */
  pages: number;
}

export type HeaderResult = ImageResult<ImageHeader>;

export function resolveLimits(overrides: Partial<DecodeLimits> | undefined): DecodeLimits {
  const limits: DecodeLimits = { ...DEFAULT_DECODE_LIMITS };
  if (overrides) {
    for (const key of Object.keys(limits) as Array<keyof DecodeLimits>) {
      const value = overrides[key];
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) limits[key] = value;
    }
  }
  return limits;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error);
}

/** Format and dimensions from the header alone; refuses anything not worth decoding. */
export async function readImageHeader(bytes: Buffer, limits: DecodeLimits): Promise<HeaderResult> {
  if (bytes.length === 0) return reject('empty', 'zero bytes');
  if (bytes.length > limits.maxInputBytes) return reject('too-large', `${bytes.length} bytes exceeds ${limits.maxInputBytes}`);

  const format = sniffImageType(bytes);
  if (format === 'unknown') return reject('not-an-image', 'no known image signature; accepted: png, jpeg, webp');
  if (!isAcceptedFormat(format)) return reject('unsupported-format', `${format} is not accepted; accepted: png, jpeg, webp`, format);

  // A plain PNG (most screenshots) is measured from its IHDR; anything else asks the decoder.
  const png = format === 'png' ? plainPngSize(bytes) : undefined;
  let meta: { format?: string; width: number; height: number; pages?: number | undefined; autoOrient?: { width: number; height: number } | undefined };
  if (png) {
    meta = { format, ...png };
  } else {
    try {
      meta = await openImage(bytes, limits).metadata();
    } catch (error) {
      const text = errorText(error);
      // libvips checks limitInputPixels against the header too; keep that the same code as our own check.
      if (/pixel limit/i.test(text)) return reject('too-many-pixels', text, format);
      return reject('corrupt', `header unreadable: ${text}`, format);
    }
  }
  // The decoder sniffs independently; disagreement means a file crafted to confuse one of us.
  if (meta.format !== format) return reject('corrupt', `signature says ${format}, decoder says ${meta.format}`, format);

  const { width, height } = meta;
  if (!(width > 0 && height > 0)) return reject('corrupt', `header has no dimensions (${width}x${height})`, format);
  const size = `${width}x${height}`;
  if (width * height > limits.maxPixels) return reject('too-many-pixels', `${size} exceeds ${limits.maxPixels} pixels`, format);
  if (Math.max(width, height) > limits.maxDimension) return reject('bad-dimensions', `${size}: a side exceeds ${limits.maxDimension}`, format);
  if (Math.min(width, height) < limits.minDimension) return reject('bad-dimensions', `${size}: a side is under ${limits.minDimension}`, format);
  if (Math.max(width, height) / Math.min(width, height) > limits.maxAspectRatio) {
    return reject('bad-dimensions', `${size}: aspect ratio exceeds ${limits.maxAspectRatio}`, format);
  }

  const oriented = meta.autoOrient ?? { width, height };
  return { ok: true, format, width: oriented.width, height: oriented.height, pages: meta.pages ?? 1 };
}

