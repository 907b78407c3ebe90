// The bot's stdout log lines are written together once per event-loop turn (src/log.ts).
import { describe, expect, it } from 'vitest';
import { BatchedDestination, createLogger } from '../../src/log.js';

function recorder() {
  const writes: string[] = [];
  return { writes, target: { write: (chunk: string) => void writes.push(chunk) } };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BatchedDestination', () => {
  it('GIVEN lines logged in one turn THEN one write at the end of the turn, in order', async () => {
    const { writes, target } = recorder();
    const dest = new BatchedDestination(target);
    dest.write('a\n');
    dest.write('b\n');
    dest.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    dest.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('GIVEN pending lines WHEN flushed synchronously (process exit) THEN they are written at once, and not again', async () => {
    const { writes, target } = recorder();
    const dest = new BatchedDestination(target);
    dest.write('last words\n');
    dest.flushSync();
    expect(writes).toEqual(['last words\n']);
    await nextTurn();
    expect(writes).toEqual(['last words\n']);
  });

  it('GIVEN a pino logger over it THEN each line is whole JSON, redacted as before', async () => {
    const { writes, target } = recorder();
    const log = createLogger('info', new BatchedDestination(target));
    log.info({ command: 'facts', token: 'secret' }, 'interaction handled');
    log.debug('not at info');
    log.error({ ref: 'abcd' }, 'interaction handler failed');
    await nextTurn();
    expect(writes).toHaveLength(1);
    const lines = (writes[0] ?? '').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(['interaction handled', 'interaction handler failed']);
    expect(lines[0]?.token).toBe('[redacted]');
  });
});
