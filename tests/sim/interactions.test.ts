import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  MessageFlags,
  ModalBuilder,
  SlashCommandBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SimUsageError, type DiscordSimulator } from '../../src/sim/index.js';
import { basicWorld, errorCode, sleep, startBot, startSim, until, type TestBot, type World } from './helpers.js';

let sim: DiscordSimulator;
let bot: TestBot;
let world: World;

const commands = [
  new SlashCommandBuilder().setName('ping').setDescription('Replies pong'),
  new SlashCommandBuilder().setName('slow').setDescription('Defers, then edits'),
  new SlashCommandBuilder()
    .setName('pledge')
    .setDescription('Pledge with a picture')
    .addAttachmentOption((o) => o.setName('image').setDescription('Your picture').setRequired(true))
    .addStringOption((o) => o.setName('note').setDescription('A note')),
  new SlashCommandBuilder()
    .setName('find')
    .setDescription('Autocomplete')
    .addStringOption((o) => o.setName('query').setDescription('Type').setAutocomplete(true).setRequired(true)),
  new SlashCommandBuilder().setName('menu').setDescription('Buttons and selects'),
  new SlashCommandBuilder().setName('form').setDescription('Opens a modal'),
  new SlashCommandBuilder()
    .setName('admin')
    .setDescription('Admins only')
    .setDefaultMemberPermissions(32)
    .addSubcommand((s) => s.setName('stats').setDescription('Stats').addUserOption((o) => o.setName('who').setDescription('Who'))),
].map((c) => c.toJSON());

function chat(i: Interaction): ChatInputCommandInteraction {
  if (!i.isChatInputCommand()) throw new Error('expected a chat input command');
  return i;
}

beforeAll(async () => {
  sim = await startSim({ ackDeadlineMs: 1000 });
  world = basicWorld(sim);
  bot = await startBot(sim);
  await bot.client.application?.commands.set(commands, world.guildId);
});

afterAll(async () => {
  await bot.client.destroy();
  await sim.stop();
});

beforeEach(() => {
  bot.handlers.clear();
  bot.errors.length = 0;
  sim.clearRecords();
});

describe('registration', () => {
  it('stores what discord.js registered, with default_member_permissions as the decimal string discord.js sends', () => {
    const registered = sim.registeredCommands(world.guildId);
    expect(registered.map((c) => c.name).sort()).toEqual(['admin', 'find', 'form', 'menu', 'ping', 'pledge', 'slow']);
    expect(registered.find((c) => c.name === 'admin')?.default_member_permissions).toBe('32');
    expect(sim.violations).toEqual([]);
  });

  it('refuses to invoke unregistered commands or options, like a Discord client would', () => {
    expect(() => sim.slash({ ...world, name: 'nope' })).toThrow(SimUsageError);
    expect(() => sim.slash({ ...world, name: 'ping', options: { extra: 'x' } })).toThrow(/no option extra/);
    expect(() => sim.slash({ ...world, name: 'pledge' })).toThrow(/requires option image/);
  });

  it('hides commands behind default_member_permissions from members without them', () => {
    expect(() => sim.slash({ ...world, name: 'admin', subcommand: 'stats' })).toThrow(/default_member_permissions/);
  });
});

describe('replies', () => {
  it('a slash command answered with a JSON reply', async () => {
    bot.handlers.set('ping', async (i) => {
      await chat(i).reply({ content: 'pong', embeds: [new EmbedBuilder().setTitle('Pong').setDescription('hi')], allowedMentions: { parse: [] } });
    });
    const handle = sim.slash({ ...world, name: 'ping', locale: 'fr' });
    const ack = await handle.acknowledged();
    expect(ack.type).toBe(4);
    const reply = await handle.waitForReply();
    expect(reply.content).toBe('pong');
    expect(reply.embeds[0]?.title).toBe('Pong');
    expect(reply.author.id).toBe(sim.applicationId);
    expect(reply.allowed_mentions).toEqual({ parse: [] });
    expect(handle.ephemeral).toBe(false);
    expect(handle.payload.locale).toBe('fr');
    expect(handle.payload.guild_locale).toBe('en-US');
    expect(sim.channelMessages(world.channelId).map((m) => m.id)).toContain(reply.id);
    expect(sim.violations).toEqual([]);
    expect(sim.mentionWarnings).toEqual([]);
  });

  it('a deferred reply becomes visible with the first edit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bot.handlers.set('slow', async (i) => {
      const c = chat(i);
      await c.deferReply({ flags: MessageFlags.Ephemeral });
      await gate;
      await c.editReply({ content: 'done', allowedMentions: { parse: [] } });
    });
    const handle = sim.slash({ ...world, name: 'slow' });
    expect((await handle.acknowledged()).type).toBe(5);
    expect(handle.original?.flags).toBe(64 | 128);
    release();
    const reply = await handle.waitForReply();
    expect(reply.content).toBe('done');
    expect(reply.flags).toBe(64);
    expect(handle.ephemeral).toBe(true);
    expect(sim.channelMessages(world.channelId).some((m) => m.id === reply.id)).toBe(false);
    expect(sim.violations).toEqual([]);
  });

  it('a multipart reply carries the file, served back by the CDN', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    bot.handlers.set('pledge', async (i) => {
      const c = chat(i);
      const source = c.options.getAttachment('image', true);
      const bytes = Buffer.from(await (await fetch(source.url)).arrayBuffer());
      await c.reply({ content: `got ${source.name}`, files: [new AttachmentBuilder(bytes, { name: 'card.png', description: 'card' })] });
    });
    const handle = sim.slash({ ...world, name: 'pledge', options: { image: { bytes: png, filename: 'me.png', contentType: 'image/png' } } });
    const reply = await handle.waitForReply();
    expect(reply.content).toBe('got me.png');
    expect(reply.attachments).toHaveLength(1);
    const [file] = reply.attachments;
    expect(file?.filename).toBe('card.png');
    expect(file?.description).toBe('card');
    expect(file?.content_type).toBe('image/png');
    expect(file?.bytes.equals(png)).toBe(true);
    const served = Buffer.from(await (await fetch(file?.url ?? '')).arrayBuffer());
    expect(served.equals(png)).toBe(true);
    const callback = sim.requests.find((r) => r.route === '/interactions/{interaction_id}/{interaction_token}/callback');
    expect(callback?.files[0]?.filename).toBe('card.png');
    expect(sim.violations).toEqual([]);
  });

  it('follow-ups after a reply, and the first follow-up after a deferral replaces the loading message', async () => {
    bot.handlers.set('ping', async (i) => {
      const c = chat(i);
      await c.reply({ content: 'first' });
      await c.followUp({ content: 'second', flags: MessageFlags.Ephemeral });
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await until(() => handle.followUps.length === 1, 5000, 'follow-up');
    expect(handle.original?.content).toBe('first');
    expect(handle.followUps[0]?.content).toBe('second');
    expect(handle.followUps[0]?.flags).toBe(64);

    bot.handlers.set('slow', async (i) => {
      const c = chat(i);
      await c.deferReply();
      await c.followUp({ content: 'instead of editing' });
    });
    const deferred = sim.slash({ ...world, name: 'slow' });
    const reply = await deferred.waitForReply();
    expect(reply.content).toBe('instead of editing');
    expect(deferred.followUps).toHaveLength(0);
    expect(sim.violations).toEqual([]);
  });

  it('autocomplete resolves to the choices the bot responded with', async () => {
    bot.handlers.set('find', async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      await i.respond([{ name: `you typed ${typed}`, value: typed }]);
    });
    const choices = await sim.autocomplete({ ...world, name: 'find', options: { query: 'gp' }, focused: 'query' });
    expect(choices).toEqual([{ name: 'you typed gp', value: 'gp' }]);
  });

  it('the options discord.js parses: subcommands, users and attachments come with resolved data', async () => {
    const adminRole = sim.createRole(world.guildId, { name: 'admin', permissions: ['ManageGuild'] });
    const boss = sim.createUser({ username: 'boss' });
    sim.addMember(world.guildId, boss.id, { roles: [adminRole] });
    let seen: { sub: string; who: string | undefined; memberPerms: boolean } | undefined;
    bot.handlers.set('admin', async (i) => {
      const c = chat(i);
      seen = { sub: c.options.getSubcommand(), who: c.options.getUser('who')?.username, memberPerms: c.memberPermissions?.has('ManageGuild') ?? false };
      await c.reply({ content: 'ok', flags: MessageFlags.Ephemeral });
    });
    const handle = sim.slash({ guildId: world.guildId, channelId: world.channelId, userId: boss.id, name: 'admin', subcommand: 'stats', options: { who: world.userId } });
    await handle.waitForReply();
    expect(seen).toEqual({ sub: 'stats', who: 'alice', memberPerms: true });
  });
});

describe('context', () => {
  it('with_response returns the callback resource with the message', async () => {
    let messageId: string | undefined;
    bot.handlers.set('ping', async (i) => {
      const response = await chat(i).reply({ content: 'with response', withResponse: true });
      messageId = response.resource?.message?.id;
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    const reply = await handle.waitForReply();
    await until(() => messageId !== undefined, 5000, 'reply to resolve');
    expect(messageId).toBe(reply.id);
    expect(sim.requests.find((r) => r.route?.endsWith('/callback'))?.query.with_response).toBe('true');
  });

  it('app_permissions reflect the bot in that channel; replies need no SendMessages', async () => {
    const readOnly = sim.createChannel(world.guildId, { name: 'ro', permissionOverwrites: [{ id: sim.applicationId, type: 'member', deny: ['SendMessages'] }] });
    let canSend: boolean | undefined;
    bot.handlers.set('ping', async (i) => {
      canSend = i.appPermissions?.has('SendMessages');
      await chat(i).reply({ content: 'still fine' });
    });
    const handle = sim.slash({ ...world, channelId: readOnly, name: 'ping' });
    await handle.waitForReply();
    expect(canSend).toBe(false);
    expect(BigInt(String(handle.payload.app_permissions)) & 2048n).toBe(0n);
  });

  it('a global command used in a DM carries user instead of member', async () => {
    sim.seedCommands([{ name: 'dmping', description: 'Ping in DMs', contexts: [0, 1] }]);
    let seen: { inGuild: boolean; user: string; context: number | null } | undefined;
    bot.handlers.set('dmping', async (i) => {
      seen = { inGuild: i.inGuild(), user: i.user.id, context: i.context };
      await chat(i).reply({ content: 'dm pong' });
    });
    const handle = sim.slash({ userId: world.userId, name: 'dmping' });
    const reply = await handle.waitForReply();
    expect(seen).toEqual({ inGuild: false, user: world.userId, context: 1 });
    expect(handle.payload.member).toBeUndefined();
    expect(reply.channel_id).toBe(sim.dmChannelId(world.userId));
    sim.seedCommands([]);
  });
});

describe('components and modals', () => {
  it('a button press updates the message it is on; unknown custom_ids are refused', async () => {
    bot.handlers.set('menu', async (i) => {
      const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId('vote:yes').setLabel('Yes').setStyle(ButtonStyle.Success),
        new ButtonBuilder().setCustomId('vote:no').setLabel('No').setStyle(ButtonStyle.Danger),
      );
      const select = new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
        new StringSelectMenuBuilder().setCustomId('pick').addOptions({ label: 'A', value: 'a' }, { label: 'B', value: 'b' }),
      );
      await chat(i).reply({ content: 'Vote?', components: [row, select] });
    });
    bot.handlers.set('vote', async (i) => {
      const b = i as ButtonInteraction;
      await b.update({ content: `Voted ${b.customId.split(':')[1] ?? ''}`, components: [] });
    });
    bot.handlers.set('pick', async (i) => {
      if (!i.isStringSelectMenu()) return;
      await i.deferUpdate();
      await i.editReply({ content: `Picked ${i.values.join(',')}` });
    });
    const slash = sim.slash({ ...world, name: 'menu' });
    const message = await slash.waitForReply();
    expect(message.components[0]?.components?.[0]?.id).toBe(2);
    expect(message.components.map((r) => [r.id, ...(r.components ?? []).map((c) => c.id)])).toEqual([[1, 2, 3], [4, 5]]);
    // The numbers are Discord's: the recorded request keeps what the bot sent, and state cannot be changed through it.
    const sent = sim.requests.find((r) => r.route === '/interactions/{interaction_id}/{interaction_token}/callback')?.body as { data: { components: Array<Record<string, unknown>> } };
    expect(sent.data.components[0]).not.toHaveProperty('id');
    expect(Object.isFrozen(message.components[0]?.components?.[0])).toBe(true);
    expect(() => sim.pressButton({ message, customId: 'vote:maybe', userId: world.userId })).toThrow(/no component with custom_id/);

    const pick = sim.selectMenu({ message, customId: 'pick', userId: world.userId, values: ['b'] });
    expect((await pick.acknowledged()).type).toBe(6);
    expect((await pick.waitForReply()).content).toBe('Picked b');

    const press = sim.pressButton({ message, customId: 'vote:yes', userId: world.userId });
    const updated = await press.waitForReply();
    expect(press.callbackType).toBe(7);
    expect(updated.id).toBe(message.id);
    expect(updated.content).toBe('Voted yes');
    expect(updated.components).toEqual([]);
    expect(() => sim.pressButton({ message, customId: 'vote:no', userId: world.userId })).toThrow(SimUsageError);
    expect(sim.violations).toEqual([]);
  });

  it('a modal is shown, then submitted with field values', async () => {
    bot.handlers.set('form', async (i) => {
      const modal = new ModalBuilder()
        .setCustomId('survey')
        .setTitle('Survey')
        .addComponents(
          new ActionRowBuilder<TextInputBuilder>().addComponents(new TextInputBuilder().setCustomId('why').setLabel('Why?').setStyle(TextInputStyle.Paragraph).setMaxLength(200)),
        );
      await chat(i).showModal(modal);
    });
    let answer: string | undefined;
    bot.handlers.set('survey', async (i) => {
      if (!i.isModalSubmit()) return;
      answer = i.fields.getTextInputValue('why');
      await i.reply({ content: `Thanks: ${answer}`, flags: MessageFlags.Ephemeral });
    });
    const open = sim.slash({ ...world, name: 'form' });
    expect((await open.acknowledged()).type).toBe(9);
    expect(open.modal?.custom_id).toBe('survey');
    expect(() => sim.submitModal({ from: open, fields: { why: 'x'.repeat(201) } })).toThrow(/max_length/);
    const submit = sim.submitModal({ from: open, fields: { why: 'privacy' } });
    const reply = await submit.waitForReply();
    expect(answer).toBe('privacy');
    expect(reply.content).toBe('Thanks: privacy');
    expect(submit.ephemeral).toBe(true);
  });
});

describe('more components', () => {
  it('user selects come with resolved users; a modal opened from a button can update that message', async () => {
    bot.handlers.set('menu', async (i) => {
      await chat(i).reply({
        content: 'Who?',
        components: [
          { type: 1, components: [{ type: 5, custom_id: 'who', placeholder: 'Pick someone' }] },
          { type: 1, components: [{ type: 2, style: 1, custom_id: 'ask', label: 'Ask' }] },
        ],
      });
    });
    let picked: string | undefined;
    bot.handlers.set('who', async (i) => {
      if (!i.isUserSelectMenu()) return;
      picked = i.users.first()?.username;
      await i.deferUpdate();
    });
    bot.handlers.set('ask', async (i) => {
      if (!i.isButton()) return;
      await i.showModal({ custom_id: 'askform', title: 'Ask', components: [{ type: 18, label: 'Question', component: { type: 4, custom_id: 'q', style: 1 } }] });
    });
    bot.handlers.set('askform', async (i) => {
      if (!i.isModalSubmit() || !i.isFromMessage()) return;
      await i.update({ content: `Asked: ${i.fields.getTextInputValue('q')}`, components: [] });
    });
    const message = await sim.slash({ ...world, name: 'menu' }).waitForReply();
    const select = sim.selectMenu({ message, customId: 'who', userId: world.userId, values: [world.userId] });
    expect((await select.acknowledged()).type).toBe(6);
    expect(picked).toBe('alice');
    const ask = sim.pressButton({ message, customId: 'ask', userId: world.userId });
    await ask.acknowledged();
    expect(ask.modal?.components).toEqual([{ type: 18, id: 1, label: 'Question', component: { type: 4, custom_id: 'q', style: 1, id: 2 } }]);
    const submit = sim.submitModal({ from: ask, fields: { q: 'why?' } });
    const updated = await submit.waitForReply();
    expect(updated.id).toBe(message.id);
    expect(updated.content).toBe('Asked: why?');
    expect(sim.violations).toEqual([]);
  });
});

describe('deadlines and double acknowledgements', () => {
  it('a callback after the deadline gets 10062, which the client sees', async () => {
    bot.handlers.set('ping', async (i) => {
      await sleep(1200);
      await chat(i).reply({ content: 'too late' });
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await expect(handle.acknowledged()).rejects.toThrow(/not acknowledged within 1000 ms/);
    await until(() => bot.errors.length > 0, 5000, 'client error');
    expect(errorCode(bot.errors[0])).toBe(10062);
    expect(handle.errors.map((e) => e.code)).toEqual([10062]);
  });

  it('a second callback gets 40060; a redelivered interaction is the same interaction', async () => {
    let calls = 0;
    bot.handlers.set('ping', async (i) => {
      calls += 1;
      await chat(i).reply({ content: `reply ${calls}` });
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await handle.waitForReply();
    handle.redeliver();
    await until(() => bot.errors.length > 0, 5000, 'client error');
    expect(errorCode(bot.errors[0])).toBe(40060);
    expect(bot.received.filter((id) => id === handle.id)).toHaveLength(2);
    expect(handle.original?.content).toBe('reply 1');
  });

  it('the interaction token expires for webhook routes (virtual clock)', async () => {
    let interaction: ChatInputCommandInteraction | undefined;
    bot.handlers.set('ping', async (i) => {
      interaction = chat(i);
      await interaction.deferReply();
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await handle.acknowledged();
    await until(() => interaction?.deferred === true, 5000, 'deferReply to resolve');
    sim.clock.advance(15 * 60 * 1000 + 1);
    await expect(interaction?.editReply({ content: 'late' })).rejects.toMatchObject({ code: 50027, status: 401 });
  });
});

describe('expiry', () => {
  it('expireInteractions forgets settled interactions and their ephemeral answers, keeps public answers and pending interactions', async () => {
    const kept: ChatInputCommandInteraction[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bot.handlers.set('ping', async (i) => {
      await chat(i).reply({ content: 'for everyone', allowedMentions: { parse: [] } });
    });
    bot.handlers.set('slow', async (i) => {
      kept.push(chat(i));
      await chat(i).reply({ content: 'only you', flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    });
    bot.handlers.set('menu', async (i) => {
      await gate;
      await chat(i).reply({ content: 'later', flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    });
    const shared = sim.slash({ ...world, name: 'ping' });
    const secret = sim.slash({ ...world, name: 'slow' });
    const sharedReply = await shared.waitForReply();
    const secretReply = await secret.waitForReply();
    const pending = sim.slash({ ...world, name: 'menu' });
    await until(() => bot.received.includes(pending.id), 5000, 'the pending interaction to arrive');

    expect(sim.expireInteractions()).toBeGreaterThanOrEqual(2);

    expect(sim.interactions.get(shared.id)).toBeUndefined();
    expect(sim.interactions.get(secret.id)).toBeUndefined();
    expect(sim.interactions.get(pending.id)).toBe(pending);
    expect(sim.message(sharedReply.id)?.content).toBe('for everyone');
    expect(sim.channelMessages(world.channelId).map((m) => m.id)).toContain(sharedReply.id);
    expect(sim.message(secretReply.id)).toBeUndefined();
    expect(sim.channelMessages(world.channelId, { includeEphemeral: true }).map((m) => m.id)).not.toContain(secretReply.id);
    // The token of a forgotten interaction answers as an expired one does on Discord.
    await expect(kept[0]?.editReply({ content: 'edited' })).rejects.toMatchObject({ code: 50027 });

    release();
    expect((await pending.acknowledged()).type).toBe(4);
    expect(sim.violations).toEqual([]);
  });
});

describe('validation', () => {
  it('a 300-character embed title gets 50035 and is recorded with the zod issue', async () => {
    bot.handlers.set('ping', async (i) => {
      await chat(i).reply({ embeds: [{ title: 'x'.repeat(300) }] });
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await until(() => bot.errors.length > 0, 5000, 'client error');
    expect(errorCode(bot.errors[0])).toBe(50035);
    expect(String(bot.errors[0])).toMatch(/data\.embeds\[0\]\.title\[BASE_TYPE_MAX_LENGTH\]/);
    expect(sim.violations).toHaveLength(1);
    expect(sim.violations[0]?.route).toBe('/interactions/{interaction_id}/{interaction_token}/callback');
    expect(sim.violations[0]?.issues[0]).toMatchObject({ code: 'too_big', path: ['data', 'embeds', 0, 'title'] });
    expect(handle.acknowledgement).toBeUndefined();
  });

  it('mentions that would ping are recorded separately without failing the request', async () => {
    bot.handlers.set('ping', async (i) => {
      await chat(i).reply({ content: `hey <@${world.userId}> and @everyone` });
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    await handle.waitForReply();
    expect(sim.violations).toEqual([]);
    expect(sim.mentionWarnings).toHaveLength(1);
    expect(sim.mentionWarnings[0]?.mentions).toEqual([`<@${world.userId}>`, '@everyone']);
  });

  it('an empty reply gets 50006 and counts as a violation', async () => {
    bot.handlers.set('ping', async (i) => {
      await chat(i).reply({ content: '' });
    });
    sim.slash({ ...world, name: 'ping' });
    await until(() => bot.errors.length > 0, 5000, 'client error');
    expect(errorCode(bot.errors[0])).toBe(50006);
    expect(sim.violations[0]?.kind).toBe('empty-message');
  });
});
