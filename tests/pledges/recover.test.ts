import { describe, expect, it } from 'vitest';
import { PledgeService } from '../../src/pledges/index.js';
import { submitWithRecovery } from '../../src/pledges/recover.js';
import { StoreUnavailableError, type Store } from '../../src/store/index.js';
import { openTestStore } from '../store/cases.js';
import { G1, ix, manualClock, submission, user } from './helpers.js';

/** The next pledge commit reaches the store, then its answer is lost (a connection cut after COMMIT). */
function loseNextCommitAnswer(store: Store): void {
  const original = store.kv.setMany.bind(store.kv);
  store.kv.setMany = async (entries) => {
    await original(entries);
    if (!entries.some((e) => e.key.startsWith('pledge:'))) return;
    store.kv.setMany = original;
    throw new StoreUnavailableError('setMany', 'backend-error', new Error('answer lost'));
  };
}

describe('submitWithRecovery after a commit whose answer was lost', () => {
  it('reports a pledge made again after a withdrawal as created, and a replacement as replaced', async () => {
    const clock = manualClock();
    const store = await openTestStore('sqlite://:memory:');
    const pledges = new PledgeService({ store, clock: clock.now });
    const member = user();
    await pledges.submit(submission(G1, member));
    await pledges.withdraw({ guildId: G1, userId: member, interactionId: ix() });
    clock.advance(86_400_000);

    loseNextCommitAnswer(store);
    const again = await submitWithRecovery(pledges, submission(G1, member));
    expect(again).toMatchObject({ outcome: 'created', record: { pledgeId: 1, status: 'pending', version: 2 } });
    expect(again.outcome === 'created' && again.counts.guild).toEqual({ before: 0, after: 1 });

    clock.advance(60_000);
    loseNextCommitAnswer(store);
    const replaced = await submitWithRecovery(pledges, submission(G1, member));
    expect(replaced).toMatchObject({ outcome: 'replaced', record: { pledgeId: 1, version: 3 } });
  });

  it('rethrows when nothing of the interaction reached the store', async () => {
    const store = await openTestStore('sqlite://:memory:');
    const pledges = new PledgeService({ store });
    store.kv.setMany = async () => {
      throw new StoreUnavailableError('setMany', 'backend-error', new Error('refused'));
    };
    await expect(submitWithRecovery(pledges, submission(G1, user()))).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
