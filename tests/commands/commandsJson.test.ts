import { execFileSync } from 'node:child_process';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { commandsJson } from '../../src/scripts/commands-json.js';
import { loadSpec } from '../../src/sim/spec.js';

// Discord's own schema for PUT /applications/{id}/commands items (npm discord-api-spec).
const commandSchema = (await loadSpec()).schema('ApplicationCommandCreateRequestSchema');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** discord.js sends default_member_permissions as a decimal string, which Discord accepts; the spec says integer. */
function specView(command: Record<string, Json>): Record<string, Json> {
  const dmp = command.default_member_permissions;
  return typeof dmp === 'string' && /^\d+$/.test(dmp) ? { ...command, default_member_permissions: Number(dmp) } : command;
}

/** The spec's objects strip unknown keys, so a key that parsing dropped is a key Discord does not know. */
function dropped(input: Json, parsed: unknown, path = ''): string[] {
  if (Array.isArray(input)) return input.flatMap((v, i) => dropped(v, (parsed as unknown[])[i], `${path}[${i}]`));
  if (input && typeof input === 'object') {
    const out = parsed as Record<string, unknown>;
    return Object.keys(input).flatMap((k) =>
      k in out ? dropped(input[k] as Json, out[k], `${path}.${k}`) : [`${path}.${k}`],
    );
  }
  return [];
}

describe('npm run commands:json', () => {
  it('GIVEN the command files THEN every definition is valid for PUT /applications/{id}/commands', async () => {
    const commands = JSON.parse(await commandsJson()) as Record<string, Json>[];
    expect(commands.map((c) => c.name).sort()).toEqual(['alternatives', 'config', 'donors', 'facts', 'milestones', 'pledge', 'quit', 'stats', 'switch']);
    for (const command of commands) {
      const view = specView(command);
      const result = z.safeParse(commandSchema, view);
      expect(result.success, `${String(command.name)}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
      expect(dropped(view, result.data)).toEqual([]);
    }
  });

  it('GIVEN the definitions THEN every command, option and choice carries a French localization', async () => {
    const commands = JSON.parse(await commandsJson()) as Record<string, Json>[];
    const missing: string[] = [];
    const check = (node: Record<string, Json>, where: string) => {
      const names = node.name_localizations as Record<string, string> | undefined;
      if (!names?.fr) missing.push(`${where} name`);
      if ('description' in node) {
        const desc = node.description_localizations as Record<string, string> | undefined;
        if (!desc?.fr) missing.push(`${where} description`);
      }
      for (const opt of (node.options as Record<string, Json>[] | undefined) ?? []) check(opt, `${where} ${String(opt.name)}`);
      for (const ch of (node.choices as Record<string, Json>[] | undefined) ?? []) check(ch, `${where} choice ${String(ch.value)}`);
    };
    for (const c of commands) check(c, `/${String(c.name)}`);
    expect(missing).toEqual([]);
  });

  it('GIVEN the built bot (tests/setup/build.ts) THEN the npm script prints the same JSON array and nothing else', async () => {
    const stdout = execFileSync('npm', ['run', 'commands:json'], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual(JSON.parse(await commandsJson()));
    // The script compiles first (as deploy does); that alone can take a minute on a busy 2-core machine.
  }, 180_000);
});
