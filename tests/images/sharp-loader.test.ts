// src/images/sharp.ts: sharp is loaded on first use, once, and the bot's start-up does not load it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadSharp, sharp, sharpLoadCount, sharpLoaded } from '../../src/images/sharp.js';
import { DEFAULT_DECODE_LIMITS, readImageHeader } from '../../src/images/index.js';

const run = promisify(execFile);

describe('the sharp loader', () => {
  it('loads sharp once and hands out the same module as a plain import', async () => {
    const first = loadSharp();
    const second = loadSharp();
    expect(second).toBe(first);
    expect(sharpLoaded()).toBe(true);
    expect(sharpLoadCount()).toBe(1);
    const { default: imported } = await import('sharp');
    expect(first).toBe(imported);
  });

  it('sharp() builds working pipelines, and the decoder uses the same module', async () => {
    const png = await sharp({ create: { width: 20, height: 30, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer();
    const header = await readImageHeader(png, DEFAULT_DECODE_LIMITS);
    expect(header.ok && { format: header.format, width: header.width, height: header.height }).toEqual({ format: 'png', width: 20, height: 30 });
    expect(sharpLoadCount()).toBe(1);
  });

  // In a fresh process on the build (dist/, made by tests/setup/build.ts), as `npm start` runs it.
  it('is not loaded by importing the bot, its commands and events, and is loaded by the first image', async () => {
    const dist = (p: string) => JSON.stringify(path.resolve('dist', p));
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const sharpInCache = () => Object.keys(cache).some((k) => k.includes('/node_modules/sharp/'));
      await import(${dist('src/app.js')});
      const loader = await import(${dist('src/bot/loader.js')});
      await loader.loadCommands();
      await loader.loadEvents();
      const lazy = await import(${dist('src/images/sharp.js')});
      const atStart = { cached: sharpInCache(), loaded: lazy.sharpLoaded() };
      const images = await import(${dist('src/images/index.js')});
      const png = await lazy.sharp({ create: { width: 16, height: 16, channels: 3, background: '#123456' } }).png().toBuffer();
      const header = await images.readImageHeader(png, images.DEFAULT_DECODE_LIMITS);
      console.log(JSON.stringify({ atStart, after: { cached: sharpInCache(), loads: lazy.sharpLoadCount(), ok: header.ok } }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: path.resolve('.') });
    expect(JSON.parse(stdout.trim())).toEqual({ atStart: { cached: false, loaded: false }, after: { cached: true, loads: 1, ok: true } });
  });
});
