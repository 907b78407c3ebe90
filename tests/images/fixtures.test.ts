// Guards the committed fixtures: they exist, stay small, and the byte-assembled ones still match
// what generate.ts builds. With REGENERATE_FIXTURES=1 this file rewrites them instead.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_DIR, FIXTURES, buildFixtures, writeFixtures } from '../fixtures/images/generate.js';
import type { FixtureName } from '../fixtures/images/generate.js';

const regenerate = process.env.REGENERATE_FIXTURES === '1';
const names = Object.keys(FIXTURES) as FixtureName[];

describe('image fixtures', () => {
  let built: Record<FixtureName, Buffer>;
  beforeAll(async () => {
    if (regenerate) await writeFixtures();
    built = await buildFixtures();
  });

  it.each(names)('%s is committed and under 200 KB', async (name) => {
    const info = await stat(join(FIXTURE_DIR, name));
    expect(info.size).toBeLessThan(200 * 1024);
  });

  it.each(names.filter((name) => FIXTURES[name].stable))('%s regenerates byte for byte', async (name) => {
    const committed = await readFile(join(FIXTURE_DIR, name));
    expect(committed.equals(built[name])).toBe(true);
  });
});
