// Shared by the OCR tests: a worker script that misbehaves on request, and a watch on the
// process-level error events that a crash-prone library would fire.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { tesseractWorkerScript } from '../../src/verification/runtime.js';
import { SAMPLE_DIR, SAMPLES } from '../fixtures/screenshots/generate.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Image bytes that make the faulty worker script misbehave instead of recognizing. */
export const FAULT = {
  /** Spins forever inside the thread (a recognition that never returns). */
  hang: Buffer.from('HANG'),
  /** Throws from a timer inside the thread, after the message handler returned. */
  throwLater: Buffer.from('THROW'),
  /** Leaves a promise rejection unhandled inside the thread. */
  rejectLater: Buffer.from('REJECT'),
  /** Ends the thread. */
  exit: Buffer.from('EXIT'),
};

/**
 * Wraps tesseract.js's real worker script. Also replaces everything in the thread that could reach
 * the network (fetch, http, https, net), so a pool running this script proves the models and the
 * core are read from disk: any attempt throws and the worker fails to start or to recognize.
 */
export function faultyWorkerScript(opts: { failAtLoad?: boolean } = {}): string {
  const dir = tempDir('quitgpt-ocr-fault-');
  const file = join(dir, 'faulty-worker.cjs');
  writeFileSync(
    file,
    `'use strict';
const { parentPort } = require('node:worker_threads');
${opts.failAtLoad ? "throw new Error('injected failure while loading the worker script');" : ''}
const offline = (what) => () => { throw new Error('network access attempted: ' + what); };
globalThis.fetch = offline('fetch');
for (const name of ['node:http', 'node:https']) {
  const m = require(name);
  m.request = offline(name + '.request');
  m.get = offline(name + '.get');
}
const net = require('node:net');
net.connect = offline('net.connect');
net.createConnection = offline('net.createConnection');
const marker = (p) => {
  if (!p || p.action !== 'recognize' || !p.payload || !p.payload.image) return '';
  const img = p.payload.image;
  return img.length < 8 ? Buffer.from(img).toString('latin1') : '';
};
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, fn) => on(event, event !== 'message' ? fn : (p) => {
  const m = marker(p);
  if (m === 'HANG') { for (;;) {} }
  if (m === 'THROW') { setTimeout(() => { throw new Error('injected failure inside the worker thread'); }, 5); return; }
  if (m === 'REJECT') { Promise.reject(new Error('injected rejection inside the worker thread')); return; }
  if (m === 'EXIT') { process.exit(3); }
  fn(p);
});
require(${JSON.stringify(tesseractWorkerScript())});
`,
  );
  return file;
}

export type ProcessEvents = { uncaught: unknown[]; unhandled: unknown[]; stop: () => void };

/** Records uncaught exceptions and unhandled rejections in this process until stop(). */
export function watchProcess(): ProcessEvents {
  const uncaught: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
  return {
    uncaught,
    unhandled,
    stop: () => {
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUnhandled);
    },
  };
}

export function sample(file: (typeof SAMPLES)[number]['file']): Buffer {
  return readFileSync(join(SAMPLE_DIR, file));
}

export { SAMPLES };
