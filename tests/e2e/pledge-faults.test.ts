// When the review channel or the store lets the bot down, end to end: the member's pledge and the
// answer they get stay truthful, and the bot keeps answering.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.js';
import { openStore, StoreUnavailableError, type KV } from '../../src/store/index.js';
import { PledgeService } from '../../src/pledges/index.js';
import type { PermissionName } from '../../src/sim/index.js';
import {
  buttonId,
  errorLogs,
  expectBotAlive,
  expectCleanWire,
  expectDeferredEphemeral,
  finalContent,
  newMember,
  pledge,
  pledgeCommand,
  record,
  reviewOverwrites,
  startPledgeBot,
  submitPledge,
  uniqueScreenshot,
  until,
  upload,
  waitForCard,
  type PledgeBot,
} from './helpers/pledge.js';

let env: PledgeBot;

beforeAll(async () => {
  env = await startPledgeBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
});

describe('the review channel refuses the bot', () => {
  it.each<[string, { deny?: PermissionName[]; hidden?: boolean }]>([
    ['Send Messages denied', { deny: ['SendMessages'] }],
    ['the channel hidden from the bot', { hidden: true }],
  ])('GIVEN %s WHEN a member pledges THEN the pledge is recorded and answered, no card is posted, and the bot carries on', async (_what, how) => {
    const overwrites = how.hidden ? reviewOverwrites(env.sim).slice(0, 2) : reviewOverwrites(env.sim, { deny: how.deny ?? [] });
    env.sim.setChannelOverwrites(env.world.channels.review, overwrites);
    const cardsBefore = env.sim.channelMessages(env.world.channels.review).length;
    try {
      const member = newMember(env);
      const handle = submitPledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      await expectDeferredEphemeral(handle);
      const text = await finalContent(handle);
      const stored = await record(env, member.id);
      expect(stored?.status).toBe('pending');
      expect(text).toBe(en.pledge.created(stored?.pledgeId ?? 0));
      await until(() => env.logs.some((l) => l.msg === 'could not post the review card' && l.pledgeId === stored?.pledgeId), 'the bot to log the failed card');
      expect(env.sim.channelMessages(env.world.channels.review).length).toBe(cardsBefore);
      expect(handle.followUps, 'no second message contradicting the first').toEqual([]);
      expect(errorLogs(env)).toEqual([]);
      await expectBotAlive(env, member);
    } finally {
      env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim));
    }
  });
});

describe('the review channel does not allow files', () => {
  it('GIVEN the bot may post but not attach files WHEN a member pledges THEN the card is posted without the screenshot and says so', async () => {
    env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim, { deny: ['AttachFiles'] }));
    try {
      const member = newMember(env);
      const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'));
      const card = await waitForCard(env, stored.pledgeId);
      expect(card.attachments).toEqual([]);
      expect(card.embeds[0]?.image).toBeUndefined();
      expect(JSON.stringify(card.embeds)).toContain(en.review.noScreenshotCopy);
      expect(buttonId(card, 'approve')).toBe(`pledge:approve:v1:${stored.pledgeId}:1`);
    } finally {
      env.sim.setChannelOverwrites(env.world.channels.review, reviewOverwrites(env.sim));
    }
  });
});
