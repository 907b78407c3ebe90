import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { FIXTURE_DIR } from '../fixtures/images/generate.js';
import type { FixtureName } from '../fixtures/images/generate.js';
import type { ImageRejectionCode, ImageResult } from '../../src/images/index.js';

export function fixture(name: FixtureName): Buffer {
  return readFileSync(join(FIXTURE_DIR, name));
}

/** Narrows a result to its rejection, failing the test with the actual value otherwise. */
export function rejectionOf<T>(result: ImageResult<T>, expected: ImageRejectionCode): { code: ImageRejectionCode; detail: string; format?: string } {
  if (result.ok) throw new Error(`expected rejection '${expected}', got success`);
  if (result.rejection.code !== expected) throw new Error(`expected rejection '${expected}', got '${result.rejection.code}': ${result.rejection.detail}`);
  return result.rejection;
}

export function okOf<T>(result: ImageResult<T>): { ok: true } & T {
  if (!result.ok) throw new Error(`expected success, got '${result.rejection.code}': ${result.rejection.detail}`);
  return result;
}

/** A solid-colour image of any size, made in memory. */
export function solid(width: number, height: number, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .toFormat(format)
    .toBuffer();
}

/** Deterministic noise: compresses badly, so it is good for forcing size limits. */
export function noise(width: number, height: number, seed = 1): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    data[i] = state & 0xff;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}
