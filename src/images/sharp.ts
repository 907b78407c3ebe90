// sharp, loaded on first use instead of at start-up. The one place the bot's code gets sharp from.
//
// Why: importing sharp maps libvips (libvips-cpp.so plus glib's and libvips' own start-up
// allocations) into the process, about 9–10 MiB of RSS measured with `node --expose-gc` and
// /proc/self/smaps, before a single image is touched. A bot that has not yet received a screenshot,
// drawn a chart or prepared an image for OCR has no use for it, and every server it sits idle in
// paid for it: it was a third of the gap to a bare discord.js bot in the start-up benchmark
// (docs/benchmarks.md, "RSS after ready"). Nothing else in the bot changes: the first caller of
// `sharp()` or `loadSharp()` pays the load (a synchronous require of a native module, tens of
// milliseconds, once per process), and every later call gets the same module.
//
// A synchronous require (sharp is CommonJS) rather than `await import('sharp')` keeps the call
// sites as they were: `sharp(input).png().toBuffer()` stays a plain call in code that builds
// pipelines synchronously (src/images/decoder.ts `openImage`). Type-only imports of 'sharp' are
// erased at compile time and cost nothing.
import { createRequire } from 'node:module';
import type sharpModule from 'sharp';
import type { Sharp, SharpInput, SharpOptions } from 'sharp';

export type SharpModule = typeof sharpModule;

const requireFromHere = createRequire(import.meta.url);
let loaded: SharpModule | undefined;
let loadCount = 0;

/** The sharp module, loaded on the first call and the same object on every later one. */
export function loadSharp(): SharpModule {
  if (!loaded) {
    loaded = requireFromHere('sharp') as SharpModule;
    loadCount++;
  }
  return loaded;
}

/** Whether sharp has been loaded through this module (tests: nothing loads it before it is needed). */
export function sharpLoaded(): boolean {
  return loaded !== undefined;
}

/** How many times the module was actually required: 1 once loaded, however many calls (tests). */
export function sharpLoadCount(): number {
  return loadCount;
}

/**
 * `sharp(input, options)` or `sharp(options)`, loading sharp on the first call. Only the call:
 * module-wide settings (`cache`, `concurrency`, …) are reached through `loadSharp()`.
 */
export function sharp(options?: SharpOptions): Sharp;
export function sharp(input?: SharpInput | SharpInput[], options?: SharpOptions): Sharp;
export function sharp(...args: [(SharpInput | SharpInput[] | SharpOptions)?, SharpOptions?]): Sharp {
  // sharp tells the two forms apart at run time; its overloads cannot take the union statically.
  return Reflect.apply(loadSharp(), undefined, args) as Sharp;
}
