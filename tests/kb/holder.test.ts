import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KnowledgeBaseHolder, KnowledgeBaseInvalidError } from '../../src/kb/holder.js';
import { edit, NOW, removeKb, VALID, writeKb } from './tempKb.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeKb));
});

async function kbDir(files: Record<string, string | null> = {}): Promise<string> {
  const dir = await writeKb(files);
  dirs.push(dir);
  return dir;
}

describe('KnowledgeBaseHolder', () => {
  it('GIVEN a valid kb THEN open holds it', async () => {
    const holder = await KnowledgeBaseHolder.open(await kbDir(), { clock: () => NOW });
    expect(holder.current.topics.map((t) => t.id)).toEqual(['money', 'people']);
  });

  it('GIVEN an invalid kb THEN open throws with the whole report, one problem per line', async () => {
    const dir = await kbDir({ ...edit('facts.yaml', 'fr: Un fait.', 'fr: ""'), 'timeline.yaml': null });
    const err = await KnowledgeBaseHolder.open(dir, { clock: () => NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KnowledgeBaseInvalidError);
    if (!(err instanceof KnowledgeBaseInvalidError)) return;
    expect(err.report.split('\n')).toEqual([
      'facts.yaml: topics.0.facts.0.text.fr: must not be empty',
      'timeline.yaml: (file): file is missing',
    ]);
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain(err.report);
  });

  it('GIVEN a running holder WHEN a file is broken and reloaded THEN the old kb stays and the problems come back', async () => {
    const dir = await kbDir();
    const holder = await KnowledgeBaseHolder.open(dir, { clock: () => NOW });
    const before = holder.current;

    await writeFile(path.join(dir, 'facts.yaml'), 'topics: [', 'utf8');
    const bad = await holder.reload();
    expect(bad.ok).toBe(false);
    expect(holder.current).toBe(before);

    const fixed = (VALID['facts.yaml'] ?? '').replace('en: Money', 'en: Cash and money');
    await writeFile(path.join(dir, 'facts.yaml'), fixed, 'utf8');
    const good = await holder.reload();
    expect(good.ok).toBe(true);
    expect(holder.current.topics[0]?.name.en).toBe('Cash and money');
  });

  it('GIVEN overlapping reloads THEN the last one started wins', async () => {
    const dir = await kbDir();
    const holder = await KnowledgeBaseHolder.open(dir, { clock: () => NOW });
    const first = holder.reload();
    await writeFile(path.join(dir, 'facts.yaml'), (VALID['facts.yaml'] ?? '').replace('en: Money', 'en: Later'), 'utf8');
    const second = holder.reload();
    await Promise.all([first, second]);
    expect(holder.current.topics[0]?.name.en).toBe('Later');
  });

  it('uses its clock for the future as_of check', async () => {
    const dir = await kbDir();
    const past = new Date('2026-03-01T00:00:00Z');
    const err = await KnowledgeBaseHolder.open(dir, { clock: () => past }).catch((e: unknown) => e);
    expect(err instanceof KnowledgeBaseInvalidError ? err.report : err).toBe(
      'alternatives.yaml: alternatives.0.as_of: 2026-11-27 is in the future (today is 2026-03-01)',
    );
  });
});
