import { describe, expect, it, vi } from 'vitest';
import {
  createSettings,
  DEFAULT_MILESTONES,
  SETTINGS_CACHE_MS,
  SETTINGS_DEFAULTS,
  SettingsPatchError,
} from '../../src/settings/index.js';
import { allStoreCases, openTestStore, recordingLogger, tempSqliteUrl } from './cases.js';

const G = '100000000000000001';

for (const [name, url] of allStoreCases()) {
  describe.skipIf(!url)(`settings on ${name}`, () => {
    const u = url ?? '';

    it('a server that never changed anything gets every default', async () => {
      const settings = createSettings(await openTestStore(u));
      expect(await settings.get(G)).toEqual({
        announcementsChannelId: null,
        reviewChannelId: null,
        logChannelId: null,
        moderatorRoleId: null,
        organizerRoleId: null,
        milestones: [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
        publicLocale: 'en',
        keepScreenshots: false,
        autoVerify: true,
        campaignMilestones: true,
      });
      expect(await settings.get(G)).toEqual(SETTINGS_DEFAULTS);
    });

    it('update returns before and after, touches only the given fields, and persists', async () => {
      const store = await openTestStore(u);
      const settings = createSettings(store);
      const first = await settings.update(G, { reviewChannelId: '200000000000000002', publicLocale: 'fr' });
      expect(first.before).toEqual(SETTINGS_DEFAULTS);
      expect(first.after).toMatchObject({ reviewChannelId: '200000000000000002', publicLocale: 'fr', autoVerify: true });
      const second = await settings.update(G, { autoVerify: false, reviewChannelId: undefined });
      expect(second.before.reviewChannelId).toBe('200000000000000002');
      expect(second.after).toMatchObject({ reviewChannelId: '200000000000000002', publicLocale: 'fr', autoVerify: false });
      expect(await createSettings(store).get(G)).toEqual(second.after);
      expect(await settings.get('100000000000000009')).toEqual(SETTINGS_DEFAULTS);
    });

    it('milestones are stored sorted and without repeats; invalid ones are refused and nothing changes', async () => {
      const settings = createSettings(await openTestStore(u));
      const { after } = await settings.update(G, { milestones: [100, 10, 50, 10] });
      expect(after.milestones).toEqual([10, 50, 100]);
      await expect(settings.update(G, { milestones: [10, -5] })).rejects.toThrow(SettingsPatchError);
      await expect(settings.update(G, { milestones: [2.5] })).rejects.toThrow(SettingsPatchError);
      expect((await settings.get(G)).milestones).toEqual([10, 50, 100]);
    });

    it('refuses unknown fields and bad ids', async () => {
      const settings = createSettings(await openTestStore(u));
      const typo = { reviewChanelId: '1' } as unknown as Parameters<typeof settings.update>[1];
      await expect(settings.update(G, typo)).rejects.toThrow(/reviewChanelId|Unrecognized/);
      await expect(settings.update(G, { logChannelId: 'not-an-id' })).rejects.toThrow(SettingsPatchError);
      await expect(settings.get('nope')).rejects.toThrow(SettingsPatchError);
    });

    it('reset puts fields back to their defaults', async () => {
      const settings = createSettings(await openTestStore(u));
      await settings.update(G, { keepScreenshots: true, milestones: [5], publicLocale: 'fr' });
      const one = await settings.reset(G, ['milestones']);
      expect(one.after.milestones).toEqual([...DEFAULT_MILESTONES]);
      expect(one.after.keepScreenshots).toBe(true);
      const all = await settings.reset(G);
      expect(all.after).toEqual(SETTINGS_DEFAULTS);
    });

    it('get() reads the store once per SETTINGS_CACHE_MS; its own writes show at once, another writer within that time', async () => {
      const reads: string[] = [];
      const namespace = `settings-cache-${Math.random().toString(36).slice(2)}`;
      // Two processes' view of one database: an in-memory SQLite would be two databases.
      const shared = u.includes(':memory:') ? tempSqliteUrl() : u;
      const store = await openTestStore(shared, { namespace, onOperation: (op) => void (op.op === 'get' && reads.push(op.op)) });
      const settings = createSettings(store);
      const other = createSettings(await openTestStore(shared, { namespace }));
      const now = vi.spyOn(Date, 'now');
      try {
        now.mockReturnValue(1_000_000);
        expect((await settings.get(G)).publicLocale).toBe('en');
        await settings.get(G);
        await settings.get(G);
        expect(reads).toHaveLength(1);

        // Its own update is seen at once, without another read.
        await settings.update(G, { publicLocale: 'fr' });
        const afterUpdate = reads.length;
        expect((await settings.get(G)).publicLocale).toBe('fr');
        expect(reads).toHaveLength(afterUpdate);

        // Another process's write: the old value until the cached read is SETTINGS_CACHE_MS old.
        await other.update(G, { publicLocale: 'en', keepScreenshots: true });
        now.mockReturnValue(1_000_000 + SETTINGS_CACHE_MS);
        expect((await settings.get(G)).keepScreenshots).toBe(false);
        now.mockReturnValue(1_000_000 + SETTINGS_CACHE_MS + 1);
        expect(await settings.get(G)).toMatchObject({ publicLocale: 'en', keepScreenshots: true });
      } finally {
        now.mockRestore();
      }
    });

    it('a damaged stored field falls back to its default, keeps the others, and is logged', async () => {
      const { log, entries } = recordingLogger();
      const store = await openTestStore(u, { log });
      await store.kv.set(`settings:${G}`, { publicLocale: 'de', keepScreenshots: true, futureField: 1 });
      const settings = createSettings(store);
      const s = await settings.get(G);
      expect(s.publicLocale).toBe('en');
      expect(s.keepScreenshots).toBe(true);
      expect(entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('publicLocale'))).toBe(true);
      // An update on top of a damaged record starts from what was salvageable.
      const { after } = await settings.update(G, { autoVerify: false });
      expect(after).toMatchObject({ publicLocale: 'en', keepScreenshots: true, autoVerify: false });
    });
  });
}
