// Components are routed by custom_id alone (no collectors), so buttons keep working after a restart.
// Shape: <command>:<action>:<version>:<arg>:<arg>…, at most 100 characters.
import { LIMITS } from './limits.js';

export const CUSTOM_ID_VERSION = 'v1';

export type ParsedCustomId = { command: string; action: string; version: string; args: string[] };

export function customId(command: string, action: string, ...args: (string | number)[]): string {
  const id = [command, action, CUSTOM_ID_VERSION, ...args.map(String)].join(':');
  if (id.length > LIMITS.customId) throw new RangeError(`custom_id over ${LIMITS.customId} characters: ${id}`);
  for (const a of args) if (String(a).includes(':')) throw new RangeError(`custom_id argument contains ':': ${a}`);
  return id;
}

export function parseCustomId(id: string): ParsedCustomId | null {
  const [command, action, version, ...args] = id.split(':');
  if (!command || !action || !version) return null;
  return { command, action, version, args };
}

/** Parses a page number argument; anything odd is page 0 rather than an error. */
export function pageArg(arg: string | undefined): number {
  const n = Number(arg);
  return Number.isInteger(n) && n >= 0 && n < 10_000 ? n : 0;
}
