// The review cards' references and the list of cards waiting to be retired, on every store backend.
import { describe, expect, it } from 'vitest';
import { MAX_PENDING_RETIREMENTS, ReviewCards } from '../../src/pledges/reviewCards.js';
import { openTestStore, recordingLogger, storeCases } from '../store/cases.js';

const G = '100000000000000001';
const NOW = new Date('2026-11-29T06:00:00.000Z');
const card = (n: number) => ({ guildId: G, pledgeId: n, channelId: '300000000000000001', messageId: `4${String(n).padStart(17, '0')}` });

for (const [backend, url] of storeCases()) {
  describe(`ReviewCards on ${backend}`, () => {
    it('remembers each card to retire once, oldest first, and forgets it by message', async () => {
      const cards = new ReviewCards(await openTestStore(url, { log: recordingLogger().log }));
      expect(await cards.pendingRetirements()).toEqual([]);
      expect(await cards.addPendingRetirement(card(1), NOW)).toEqual([]);
      expect(await cards.addPendingRetirement(card(2), NOW)).toEqual([]);
      expect(await cards.addPendingRetirement(card(1), new Date(NOW.getTime() + 1000))).toEqual([]);
      expect(await cards.pendingRetirements()).toEqual([
        { ...card(1), since: NOW.toISOString() },
        { ...card(2), since: NOW.toISOString() },
      ]);
      // The same pledge number, a newer card (the member pledged again): a separate entry.
      await cards.addPendingRetirement({ ...card(1), messageId: '499999999999999999' }, NOW);
      await cards.removePendingRetirement(card(1).messageId);
      expect((await cards.pendingRetirements()).map((i) => i.messageId)).toEqual([card(2).messageId, '499999999999999999']);
    });

    it('keeps at most MAX_PENDING_RETIREMENTS, dropping and returning the oldest', async () => {
      const cards = new ReviewCards(await openTestStore(url, { log: recordingLogger().log }));
      await Promise.all(Array.from({ length: MAX_PENDING_RETIREMENTS }, (_, i) => cards.addPendingRetirement(card(i + 1), NOW)));
      expect(await cards.pendingRetirements()).toHaveLength(MAX_PENDING_RETIREMENTS);
      const first = (await cards.pendingRetirements())[0];
      const dropped = await cards.addPendingRetirement(card(MAX_PENDING_RETIREMENTS + 1), NOW);
      expect(dropped).toEqual([first]);
      const after = await cards.pendingRetirements();
      expect(after).toHaveLength(MAX_PENDING_RETIREMENTS);
      expect(after.at(-1)?.pledgeId).toBe(MAX_PENDING_RETIREMENTS + 1);
    });
  });
}
