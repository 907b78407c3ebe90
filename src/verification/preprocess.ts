// Turns whatever a member uploaded into the one kind of image the OCR workers see: upright,
// grayscale, dark text on a light background, at a working width. Doing this with sharp (libvips,
// native, outside the workers) keeps tesseract's single-threaded wasm busy only with recognition,
// and means no undecodable or huge file ever reaches a worker.
import type { OutputInfo } from 'sharp';
// Loaded on the first screenshot, not at start-up (src/images/sharp.ts says why).
import { sharp } from '../images/sharp.js';

export type PrepareOptions = {
  /**
   * Portrait images (phones) wider than this are scaled down to it. Phone captures are 2.6–3x, so
   * their 17 pt body text is still about 30 px high at 700 px wide, and tesseract's time grows with
   * the pixels it has to segment.
   */
  workingWidth: number;
  /**
   * Landscape images (desktops) wider than this are scaled down to it. Desktop text is small
   * (14 px at 1x), so these keep far more of their width than phones: a 1x capture is not scaled.
   */
  landscapeWidth: number;
  /** Narrower images are scaled up to this, so small crops still have letters tesseract can read. */
  minWidth: number;
};

export type PreparedImage = {
  /** Binary PGM (P5): leptonica reads it without a decode step. */
  pgm: Buffer;
  width: number;
  height: number;
  /** Source size, before scaling. */
  sourceWidth: number;
  sourceHeight: number;
  /** Dark theme detected (mean luminance below the threshold) and inverted. */
  inverted: boolean;
};

export class UnreadableImageError extends Error {
  override readonly name = 'UnreadableImageError';
}

/** Mean luminance (0..255) below which a screenshot is taken to be in a dark theme. */
export const DARK_MEAN = 110;
/** Decoding bombs: no screenshot has more pixels than this (a 6K display is ~20 MP). */
const MAX_INPUT_PIXELS = 40_000_000;
/** Taller than wide by this much: a phone capture (or a crop of one), scaled by workingWidth. */
const PORTRAIT_RATIO = 1.2;
/** Tall scrolling captures: cap the height after scaling; the top holds what matters. */
const MAX_HEIGHT_RATIO = 4;

export async function prepareForOcr(input: Uint8Array, opts: PrepareOptions): Promise<PreparedImage> {
  let gray: { data: Buffer; info: OutputInfo };
  let sourceWidth: number;
  let sourceHeight: number;
  try {
    const base = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated: false }).rotate();
    const meta = await base.metadata();
    // After .rotate(), EXIF orientations 5–8 swap the axes.
    const swap = (meta.orientation ?? 1) >= 5;
    sourceWidth = (swap ? meta.height : meta.width) ?? 0;
    sourceHeight = (swap ? meta.width : meta.height) ?? 0;
    if (sourceWidth < 1 || sourceHeight < 1) throw new Error('image has no size');
    const maxWidth = sourceHeight > sourceWidth * PORTRAIT_RATIO ? opts.workingWidth : opts.landscapeWidth;
    const scale = sourceWidth > maxWidth ? maxWidth / sourceWidth : sourceWidth < opts.minWidth ? opts.minWidth / sourceWidth : 1;
    const width = Math.max(1, Math.round(sourceWidth * scale));
    const height = Math.max(1, Math.min(Math.round(sourceHeight * scale), width * MAX_HEIGHT_RATIO));
    gray = await base
      .flatten({ background: '#ffffff' })
      .greyscale()
      .resize({ width, height: Math.round(sourceHeight * scale), kernel: 'lanczos3' })
      .extract({ left: 0, top: 0, width, height })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new UnreadableImageError(`not a readable image: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { data, info } = gray;
  if (info.channels !== 1) throw new UnreadableImageError(`expected one grayscale channel, got ${info.channels}`);
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] ?? 0;
  const inverted = sum / Math.max(1, data.length) < DARK_MEAN;
  if (inverted) for (let i = 0; i < data.length; i++) data[i] = 255 - (data[i] ?? 0);
  flattenBackground(data, info.width, info.height);
  const header = Buffer.from(`P5\n${info.width} ${info.height}\n255\n`, 'ascii');
  return {
    pgm: Buffer.concat([header, data]),
    width: info.width,
    height: info.height,
    sourceWidth,
    sourceHeight,
    inverted,
  };
}

/** Side of the square blocks whose maximum estimates the local background. */
const BLOCK = 24;
/** Backgrounds darker than this are left alone: dividing by them would only amplify noise. */
const MIN_BACKGROUND = 128;

/**
 * Divides every pixel by the local background level (the brightest pixel nearby), so text on a
 * gray panel ends up on white like text on the page around it. Tesseract binarizes with one global
 * (Otsu) threshold, which a settings dialog on a dimmed page defeats: the panel's gray falls on the
 * dark side of the threshold and its text disappears with it.
 */
export function flattenBackground(data: Buffer, width: number, height: number): void {
  const bw = Math.ceil(width / BLOCK);
  const bh = Math.ceil(height / BLOCK);
  const blockMax = new Uint8Array(bw * bh);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = Math.floor(y / BLOCK) * bw;
    for (let x = 0; x < width; x++) {
      const v = data[row + x] ?? 0;
      const b = brow + Math.floor(x / BLOCK);
      if (v > (blockMax[b] ?? 0)) blockMax[b] = v;
    }
  }
  // A 3x3-block neighbourhood: a block inside a bold glyph or an icon still sees the background.
  const bg = new Uint8Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = bx + dx;
          const ny = by + dy;
          if (nx < 0 || ny < 0 || nx >= bw || ny >= bh) continue;
          const v = blockMax[ny * bw + nx] ?? 0;
          if (v > m) m = v;
        }
      }
      bg[by * bw + bx] = m;
    }
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const brow = Math.floor(y / BLOCK) * bw;
    for (let x = 0; x < width; x++) {
      const b = bg[brow + Math.floor(x / BLOCK)] ?? 255;
      if (b < MIN_BACKGROUND || b === 255) continue;
      const i = row + x;
      data[i] = Math.min(255, Math.round(((data[i] ?? 0) * 255) / b));
    }
  }
}
