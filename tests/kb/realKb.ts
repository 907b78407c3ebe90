// The real kb/ folder, loaded once per test file.
import { fileURLToPath } from 'node:url';
import { loadKnowledgeBase, formatProblems } from '../../src/kb/load.js';
import type { KnowledgeBase } from '../../src/kb/schema.js';

export const REAL_KB_DIR = fileURLToPath(new URL('../../kb', import.meta.url));

export async function loadRealKb(): Promise<KnowledgeBase> {
  const result = await loadKnowledgeBase(REAL_KB_DIR);
  if (!result.ok) throw new Error(`kb/ is invalid:\n${formatProblems(result.problems)}`);
  return result.kb;
}
