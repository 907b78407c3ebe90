import { createHash, randomBytes } from 'node:crypto';
import type { EvidenceInput, SubmitInput } from '../../src/pledges/index.js';

export const G1 = '111111111111111111';
export const G2 = '222222222222222222';
export const MOD = '999999999999999999';

let userSeq = 0;
/** A fresh member id per call, so tests in one store never collide. */
export function user(): string {
  userSeq += 1;
  return String(300000000000000000n + BigInt(userSeq) * 7919n);
}

let ixSeq = 0;
export function ix(): string {
  ixSeq += 1;
  return `${Date.now()}${String(ixSeq).padStart(6, '0')}`;
}

export function randomDhash(): string {
  return randomBytes(8).toString('hex');
}

/** Flips the given bit positions (0 = most significant bit of the first hex digit). */
export function flipBits(dhash: string, bits: readonly number[]): string {
  let v = BigInt(`0x${dhash}`);
  for (const b of bits) v ^= 1n << BigInt(63 - b);
  return v.toString(16).padStart(16, '0');
}

export function evidence(overrides: Partial<EvidenceInput> = {}): EvidenceInput {
  return {
    sha256: createHash('sha256').update(randomBytes(16)).digest('hex'),
    dhash: randomDhash(),
    width: 1170,
    height: 2532,
    format: 'png',
    bytes: 123456,
    ...overrides,
  };
}

export function submission(guildId: string, userId: string, extra: Partial<SubmitInput> = {}): SubmitInput {
  return {
    guildId,
    userId,
    interactionId: ix(),
    platform: 'ios',
    note: 'cancelled today',
    evidence: evidence(),
    ...extra,
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = '2026-02-01T12:00:00.000Z'): { now: () => Date; advance: (ms: number) => void; set: (iso: string) => void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
    set: (iso) => {
      t = Date.parse(iso);
    },
  };
}
