// commands/ and events/ are discovered, not listed, so adding a command is adding one file.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { CommandModule, EventModule } from './types.js';

/** commands/ and events/ sit beside src/ both in the source tree and in dist/. */
export const COMMANDS_DIR = fileURLToPath(new URL('../../commands/', import.meta.url));
export const EVENTS_DIR = fileURLToPath(new URL('../../events/', import.meta.url));

async function moduleFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts'))
    .sort()
    .map((n) => path.join(dir, n));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, CommandModule>> {
  const commands = new Map<string, CommandModule>();
  for (const file of await moduleFiles(dir)) {
    const mod: unknown = await import(pathToFileURL(file).href);
    if (!isRecord(mod) || !isRecord(mod.data) || typeof mod.execute !== 'function') {
      throw new Error(`${file} must export \`data\` (a SlashCommandBuilder) and \`execute\``);
    }
    const command = mod as unknown as CommandModule;
    if (commands.has(command.data.name)) throw new Error(`two command files define /${command.data.name}`);
    commands.set(command.data.name, command);
  }
  return commands;
}

export async function loadEvents(dir = EVENTS_DIR): Promise<EventModule[]> {
  const events: EventModule[] = [];
  for (const file of await moduleFiles(dir)) {
    const mod: unknown = await import(pathToFileURL(file).href);
    if (!isRecord(mod) || typeof mod.name !== 'string' || typeof mod.execute !== 'function') {
      throw new Error(`${file} must export \`name\` (a client event) and \`execute\``);
    }
    events.push(mod as unknown as EventModule);
  }
  return events;
}

/** The JSON array `npm run deploy` sends to PUT /applications/{id}/commands. */
export async function commandDefinitions(dir = COMMANDS_DIR) {
  return [...(await loadCommands(dir)).values()].map((c) => c.data.toJSON());
}
