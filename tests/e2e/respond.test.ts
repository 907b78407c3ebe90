// sendReply (src/bot/respond.ts) answers without discord.js's reply(): it posts bytes serialized once
// per Reply. Here a real discord.js client, on real interactions from the simulator, checks that the
// callback means what reply() would have sent and that the interaction is left as reply() leaves it.
import {
  DiscordjsErrorCodes,
  Events,
  MessageFlags,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
} from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/bot/client.js';
import { NO_PINGS, replyOptions, sendChoices, sendReply } from '../../src/bot/respond.js';
import { searchTopics } from '../../src/kb/search.js';
import { loadConfig } from '../../src/config.js';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { renderAlternatives } from '../../src/render/alternatives.js';
import type { Reply } from '../../src/render/reply.js';
import { createDemoWorld, simulatorEnv, type DemoWorld } from '../../src/sandbox/harness.js';
import { deployCommands } from '../../src/scripts/deploy.js';
import { DiscordSimulator } from '../../src/sim/index.js';

const loaded = await loadKnowledgeBase('kb');
if (!loaded.ok) throw new Error('kb/ must be valid for these tests');
const kb = loaded.kb;

let sim: DiscordSimulator;
let w: DemoWorld;
let client: Client;
let handle: (interaction: ChatInputCommandInteraction) => Promise<void> = async () => undefined;
let complete: (interaction: AutocompleteInteraction) => Promise<void> = async () => undefined;
const failures: unknown[] = [];

beforeAll(async () => {
  sim = await DiscordSimulator.start();
  w = createDemoWorld(sim);
  const config = loadConfig(simulatorEnv(sim, 'sqlite://:memory:'), { requireToken: true });
  await deployCommands(config);
  client = createClient(config);
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    if (interaction.isChatInputCommand()) handle(interaction).catch((err: unknown) => failures.push(err));
    if (interaction.isAutocomplete()) complete(interaction).catch((err: unknown) => failures.push(err));
  });
  const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
  await client.login(sim.token);
  await ready;
});
afterAll(async () => {
  await client?.destroy();
  await sim?.stop();
});
afterEach(() => {
  expect(failures).toEqual([]);
  expect(sim.violations).toEqual([]);
});

function slash() {
  return sim.slash({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'alternatives' });
}

/** discord.js also sends its defaults tts:false and enforce_nonce:false; Discord reads their absence the same way. */
function meaning(callback: Record<string, unknown> | undefined): unknown {
  const data = { ...(callback?.data as Record<string, unknown>) };
  if (data.tts === false) delete data.tts;
  if (data.enforce_nonce === false) delete data.enforce_nonce;
  return { ...callback, data };
}

describe('sendReply through a real discord.js client', () => {
  it.each([
    ['private', true],
    ['shared', false],
  ] as const)('GIVEN a %s answer THEN its callback means what reply() sends', async (_label, ephemeral) => {
    const reply = renderAlternatives(kb, { filter: null, page: 0 }, 'en', { shared: !ephemeral });
    const sent: Array<(i: ChatInputCommandInteraction, r: Reply) => Promise<unknown>> = [
      (i, r) => i.reply(replyOptions(r, ephemeral)),
      (i, r) => sendReply(i, r, ephemeral),
    ];
    const callbacks = [];
    for (const send of sent) {
      handle = (i) => send(i, reply).then(() => undefined);
      const h = slash();
      expect((await h.acknowledged()).type).toBe(4);
      callbacks.push(meaning(h.callback));
      expect(h.ephemeral).toBe(ephemeral);
    }
    expect(callbacks[1]).toEqual(callbacks[0]);
  });

  it('GIVEN sendReply THEN the interaction is marked replied, so edits and follow-ups work and a second reply is refused', async () => {
    const reply = renderAlternatives(kb, { filter: 'privacy', page: 0 }, 'en', { shared: false });
    const seen: Record<string, unknown> = {};
    handle = async (i) => {
      await sendReply(i, reply, true);
      seen.replied = i.replied;
      seen.ephemeral = i.ephemeral;
      seen.deferred = i.deferred;
      await sendReply(i, reply, true).catch((err: { code?: string }) => void (seen.second = err.code));
      await i.followUp({ content: 'a follow-up', allowedMentions: NO_PINGS, flags: MessageFlags.Ephemeral });
      await i.editReply({ content: 'edited', allowedMentions: NO_PINGS });
    };
    const h = slash();
    const edited = await h.waitForReply((m) => m.content === 'edited');
    expect(seen).toEqual({ replied: true, ephemeral: true, deferred: false, second: DiscordjsErrorCodes.InteractionAlreadyReplied });
    expect(edited.embeds[0]?.title).toBe(reply.embeds[0]?.title);
    expect(h.followUps.map((m) => m.content)).toEqual(['a follow-up']);
  });

  it('GIVEN autocomplete choices THEN sendChoices sends what respond() sends, and marks the interaction responded', async () => {
    const found = searchTopics(kb, 'don', 'en');
    expect(found.length).toBeGreaterThan(0);
    const callbacks = [];
    const responded: unknown[] = [];
    for (const send of [
      (i: AutocompleteInteraction) => i.respond(found.map((c) => ({ name: c.name, value: c.id }))),
      async (i: AutocompleteInteraction) => {
        await sendChoices(i, found);
        responded.push(i.responded);
        await sendChoices(i, found).catch((err: { code?: string }) => responded.push(err.code));
      },
    ]) {
      complete = send;
      const h = sim.interactions.startAutocomplete({ guildId: w.guild.id, channelId: w.channels.general, userId: w.users.member.id, name: 'facts', options: { topic: 'don' }, focused: 'topic' });
      expect((await h.acknowledged()).type).toBe(8);
      callbacks.push(h.callback);
    }
    expect(callbacks[1]).toEqual(callbacks[0]);
    // The handler goes on after the callback is acknowledged.
    await expect.poll(() => responded.length).toBe(2);
    expect(responded).toEqual([true, DiscordjsErrorCodes.InteractionAlreadyReplied]);
  });
});
