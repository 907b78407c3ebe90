// Shared pieces for milestone tests: a real store with real settings, and a fake Discord channel
// that honours message nonces the way Discord does with enforce_nonce.
import type { OutboxEntry } from '../../src/milestones/index.js';
import { createSettings, type SettingsService } from '../../src/settings/index.js';
import { silentLogger, type Store } from '../../src/store/index.js';
import { openTestStore } from '../store/cases.js';

export const GA = '100000000000000001';
export const GB = '100000000000000002';
export const GC = '100000000000000003';
export const CHANNEL = (guildId: string): string => `9${guildId.slice(1)}`;

export async function setup(url = 'sqlite://:memory:', namespace?: string): Promise<{ store: Store; settings: SettingsService }> {
  const store = await openTestStore(url, { log: silentLogger, ...(namespace ? { namespace } : {}) });
  return { store, settings: createSettings(store, { log: silentLogger }) };
}

/** Gives each server an announcements channel (and the other settings given). */
export async function announceIn(settings: SettingsService, guildId: string, extra: Parameters<SettingsService['update']>[1] = {}): Promise<void> {
  await settings.update(guildId, { announcementsChannelId: CHANNEL(guildId), ...extra });
}

export async function* listOf(ids: readonly string[]): AsyncGenerator<string> {
  for (const id of ids) yield id;
}

export type FakeMessage = { id: string; channelId: string; nonce: string; threshold: number };

/** An HTTP-like error as discord.js throws them (status, code, optional retryAfter in ms). */
export function httpError(status: number, message: string, extra: { code?: number; retryAfter?: number } = {}): Error {
  return Object.assign(new Error(message), { status, ...extra });
}

/**
 * A channel that creates one message per nonce, like Discord with enforce_nonce: a repeat returns
 * the message created first. `script` lists what each call does before succeeding normally:
 * throw an error, or 'accept-then-fail' (the message is created but the answer is lost).
 */
export class FakeDiscord {
  readonly messages: FakeMessage[] = [];
  calls = 0;
  private seq = 0;
  constructor(private readonly script: Array<Error | 'accept-then-fail'> = []) {}

  post = async (entry: OutboxEntry): Promise<{ messageId: string }> => {
    this.calls += 1;
    const step = this.script.shift();
    if (step instanceof Error) throw step;
    const existing = this.messages.find((m) => m.channelId === entry.channelId && m.nonce === entry.nonce);
    const message = existing ?? { id: String(500000000000000000n + BigInt(++this.seq)), channelId: entry.channelId, nonce: entry.nonce, threshold: entry.threshold };
    if (!existing) this.messages.push(message);
    if (step === 'accept-then-fail') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return { messageId: message.id };
  };
}

/** Timers the test fires by hand. */
export function manualTimers(): { setTimer: (fn: () => void, ms: number) => { cancel(): void }; pending: () => number[]; fireAll: () => void } {
  let timers: Array<{ fn: () => void; ms: number; live: boolean }> = [];
  return {
    setTimer: (fn, ms) => {
      const t = { fn, ms, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    },
    pending: () => timers.filter((t) => t.live).map((t) => t.ms),
    fireAll: () => {
      const due = timers.filter((t) => t.live);
      timers = [];
      for (const t of due) t.fn();
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = '2026-02-15T12:00:00.000Z'): { now: () => Date; advance: (ms: number) => void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}
