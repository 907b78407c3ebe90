// Shared sharp settings and a small gate so a burst of pledges cannot decode many large images at
// once on a 2-core host. Every sharp call in src/images goes through here; sharp itself is loaded
// on the first image, not at start-up (src/images/sharp.ts says why).
import type { Sharp, SharpOptions } from 'sharp';
import { loadSharp } from './sharp.js';

export interface DecodeLimits {
  /** Refuse before decoding when width × height exceeds this. */
  maxPixels: number;
  /** Refuse when either side is longer than this. */
  maxDimension: number;
  /** Refuse when either side is shorter than this: no legible screenshot is that small. */
  minDimension: number;
  /** Refuse when the long side exceeds the short side this many times over. */
  maxAspectRatio: number;
  /** Refuse input buffers longer than this (the download cap, again, for callers who skip fetchAttachment). */
  maxInputBytes: number;
  /** Give up on one decode after this many seconds (libvips' own timeout). */
  decodeTimeoutSeconds: number;
}

// 40 MP covers a 4K×10K scrolling capture and stays far below libvips' default of 268 MP; 16384 is
// the largest side a phone or desktop screenshot plausibly has; an aspect of 20 still allows long
// scrolling captures while refusing 1×N strips that only exist to waste decoder time.
export const DEFAULT_DECODE_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxPixels: 40_000_000,
  maxDimension: 16_384,
  minDimension: 16,
  maxAspectRatio: 20,
  maxInputBytes: 10 * 1024 * 1024,
  decodeTimeoutSeconds: 10,
});

let configured = false;
function configure(): void {
  if (configured) return;
  configured = true;
  const sharp = loadSharp();
  // Each image is decoded once, so libvips' operation cache only holds memory hostage.
  sharp.cache(false);
  // One libvips worker per pipeline; parallelism comes from MAX_CONCURRENT_DECODES instead, which
  // bounds memory as well as CPU.
  sharp.concurrency(1);
}

export function inputOptions(limits: DecodeLimits): SharpOptions {
  return {
    limitInputPixels: limits.maxPixels,
    // 'error' rejects truncated files and decoder errors but tolerates the harmless warnings
    // (odd ICC chunks, trailing junk) that real phone screenshots produce.
    failOn: 'error',
    sequentialRead: true,
    // Only the first frame of an animated WebP is ever looked at.
    animated: false,
    pages: 1,
  };
}

export function openImage(bytes: Buffer, limits: DecodeLimits): Sharp {
  configure();
  return loadSharp()(bytes, inputOptions(limits)).timeout({ seconds: limits.decodeTimeoutSeconds });
}

const MAX_CONCURRENT_DECODES = 2;
let active = 0;
const waiting: Array<() => void> = [];

/** Run `task` once fewer than MAX_CONCURRENT_DECODES decodes are in flight. */
export async function withDecodeSlot<T>(task: () => Promise<T>): Promise<T> {
  if (active >= MAX_CONCURRENT_DECODES) {
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    active++;
  }
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    // The slot passes straight to the next waiter, so `active` only drops when nobody waits.
    if (next) next();
    else active--;
  }
}
