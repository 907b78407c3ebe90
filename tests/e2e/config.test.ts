// /config end to end: the real bot on the simulator, as a server admin (Manage Server) uses it.
// Every change answers privately with before → after, is stored, and is written to the log channel
// (who, what, before, after) without pinging anyone; refusals change nothing and log nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sanitizeUserText } from '../../src/text/sanitize.js';
import { data as configCommand } from '../../commands/config.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { DEFAULT_MILESTONES, SETTINGS_DEFAULTS, type GuildSettings } from '../../src/settings/index.js';
import { SimUsageError, type PermissionName, type SimMessage } from '../../src/sim/index.js';
import {
  botMessages,
  config,
  configText,
  errorLogs,
  expectCleanWire,
  handled,
  newMember,
  newWorld,
  startOpsBot,
  until,
  type ConfigSub,
  type OpsBot,
  type OpsWorld,
} from './helpers/ops.js';

let env: OpsBot;
let w: OpsWorld;

beforeAll(async () => {
  env = await startOpsBot();
  w = await newWorld(env);
  // The log channel first: every later change in this server is then audited there.
  expect(await configText(env, w, 'channel', { purpose: 'log', channel: w.channels.log })).toBe(en.config.updated(en.config.labels.logChannelId, en.config.none, `<#${w.channels.log}>`));
  await until(() => logEntries(w).length === 1, 'the first audit entry');
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler failed').toEqual([]);
});

const settings = (world: OpsWorld = w): Promise<GuildSettings> => env.h.bot.ctx.settings.get(world.guildId);
const logEntries = (world: OpsWorld = w): SimMessage[] => botMessages(env, world.channels.log);

function field(message: SimMessage, name: string): string | undefined {
  return message.embeds[0]?.fields?.find((f) => f.name === name)?.value;
}

/** Runs a change and returns its reply and the one audit entry it wrote. */
async function change(sub: ConfigSub, options: Record<string, string | boolean>, world: OpsWorld = w): Promise<{ reply: string; entry: SimMessage }> {
  const before = logEntries(world).length;
  const reply = await configText(env, world, sub, options);
  await until(() => logEntries(world).length > before, 'the audit entry');
  expect(logEntries(world), 'exactly one audit entry per change').toHaveLength(before + 1);
  return { reply, entry: logEntries(world)[before]! };
}

/** Runs a /config that must change nothing: returns the reply once the handler has finished. */
async function refused(sub: ConfigSub, options: Record<string, string | boolean>, opts: { userId?: string; locale?: string; world?: OpsWorld } = {}): Promise<string> {
  const world = opts.world ?? w;
  const before = await settings(world);
  const logged = logEntries(world).length;
  const handle = config(env, world, sub, options, opts);
  const reply = await handle.waitForReply();
  expect(handle.ephemeral).toBe(true);
  await handled(env, handle);
  expect(await settings(world), 'settings unchanged').toEqual(before);
  expect(logEntries(world), 'nothing audited').toHaveLength(logged);
  return reply.content;
}

/** The audit embed: who, which setting, before, after, in the server's language; no pings. */
function expectAudit(entry: SimMessage, who: string, label: string, before: string, after: string, m = en): void {
  expect(entry.content).toBe('');
  expect(entry.allowed_mentions).toEqual({ parse: [] });
  expect(entry.embeds).toHaveLength(1);
  expect(entry.embeds[0]?.title).toBe(m.config.logTitle);
  expect(entry.embeds[0]?.fields).toEqual([
    { name: m.config.logBy, value: `<@${who}>`, inline: false },
    { name: m.config.logSetting, value: label, inline: true },
    { name: m.config.logBefore, value: before, inline: true },
    { name: m.config.logAfter, value: after, inline: true },
  ]);
  expect(Date.parse(entry.embeds[0]?.timestamp ?? '')).not.toBeNaN();
}

describe('/config show', () => {
  it.each([
    ['en-US', en],
    ['fr', fr],
  ] as const)('GIVEN a new server and an admin (%s) WHEN /config show THEN a private embed lists every setting with its default', async (locale, m) => {
    const world = await newWorld(env);
    const handle = config(env, world, 'show', {}, { locale });
    const reply = await handle.waitForReply();
    expect(handle.ephemeral).toBe(true);
    expect(reply.allowed_mentions).toEqual({ parse: [] });
    expect(reply.embeds[0]?.title).toBe(m.config.title);
    const fields = reply.embeds[0]?.fields ?? [];
    expect(fields.map((f) => f.name)).toEqual(Object.values(m.config.labels));
    expect(Object.keys(m.config.labels).sort()).toEqual(Object.keys(SETTINGS_DEFAULTS).sort());
    expect(fields.map((f) => f.value)).toEqual([
      m.config.none,
      m.config.none,
      m.config.none,
      m.config.none,
      m.config.none,
      DEFAULT_MILESTONES.map((n) => String(n)).join(', '),
      m.config.languages.en,
      m.config.off,
      m.config.on,
      m.config.on,
    ]);
  });

  it('GIVEN settings that were changed WHEN /config show THEN it shows the channels and roles as mentions and the values as set', async () => {
    const world = await newWorld(env);
    await env.h.bot.ctx.settings.update(world.guildId, {
      announcementsChannelId: world.channels.announcements,
      moderatorRoleId: world.roles.moderators,
      milestones: [2, 3, 5],
      publicLocale: 'fr',
      keepScreenshots: true,
    });
    const reply = await config(env, world, 'show').waitForReply();
    const fields = reply.embeds[0]?.fields ?? [];
    const value = (label: string) => fields.find((f) => f.name === label)?.value;
    expect(value(en.config.labels.announcementsChannelId)).toBe(`<#${world.channels.announcements}>`);
    expect(value(en.config.labels.moderatorRoleId)).toBe(`<@&${world.roles.moderators}>`);
    expect(value(en.config.labels.milestones)).toBe('2, 3, 5');
    expect(value(en.config.labels.publicLocale)).toBe(en.config.languages.fr);
    expect(value(en.config.labels.keepScreenshots)).toBe(en.config.on);
    // A mention in an embed never pings, and the reply says so anyway.
    expect(reply.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('/config channel and role', () => {
  it.each([
    ['announcements', 'announcementsChannelId', 'announcements'],
    ['review', 'reviewChannelId', 'review'],
  ] as const)('GIVEN the %s purpose WHEN a channel is set then cleared THEN each reply and audit entry shows before → after and the store follows', async (purpose, key, channelName) => {
    const channel = w.channels[channelName];
    const label = en.config.labels[key];
    const set = await change('channel', { purpose, channel });
    expect(set.reply).toBe(en.config.updated(label, en.config.none, `<#${channel}>`));
    expectAudit(set.entry, w.admin.id, label, en.config.none, `<#${channel}>`);
    expect((await settings())[key]).toBe(channel);

    const cleared = await change('channel', { purpose });
    expect(cleared.reply).toBe(en.config.updated(label, `<#${channel}>`, en.config.none));
    expectAudit(cleared.entry, w.admin.id, label, `<#${channel}>`, en.config.none);
    expect((await settings())[key]).toBeNull();
  });

  it('GIVEN a log channel WHEN it is moved to another channel and then cleared THEN the move is audited in the new channel and the clearing in the old one', async () => {
    const world = await newWorld(env);
    const other = env.sim.createChannel(world.guildId, { name: 'mod-log' });
    await until(() => env.h.bot.client.channels.cache.has(other), 'the bot to see #mod-log');
    expect(await configText(env, world, 'channel', { purpose: 'log', channel: world.channels.log })).toBe(
      en.config.updated(en.config.labels.logChannelId, en.config.none, `<#${world.channels.log}>`),
    );
    await until(() => logEntries(world).length === 1, 'the first audit entry');
    expectAudit(logEntries(world)[0]!, world.admin.id, en.config.labels.logChannelId, en.config.none, `<#${world.channels.log}>`);

    await configText(env, world, 'channel', { purpose: 'log', channel: other });
    await until(() => botMessages(env, other).length === 1, 'the audit entry in the new log channel');
    expectAudit(botMessages(env, other)[0]!, world.admin.id, en.config.labels.logChannelId, `<#${world.channels.log}>`, `<#${other}>`);
    expect(logEntries(world)).toHaveLength(1);

    await configText(env, world, 'channel', { purpose: 'log' });
    await until(() => botMessages(env, other).length === 2, 'the clearing, audited where the log was');
    expectAudit(botMessages(env, other)[1]!, world.admin.id, en.config.labels.logChannelId, `<#${other}>`, en.config.none);
    expect((await settings(world)).logChannelId).toBeNull();

    // Without a log channel, changes are still made, just not audited anywhere.
    const handle = config(env, world, 'screenshots', { enabled: true });
    await handle.waitForReply();
    await handled(env, handle);
    expect((await settings(world)).keepScreenshots).toBe(true);
    expect(botMessages(env, other)).toHaveLength(2);
    expect(logEntries(world)).toHaveLength(1);
  });

  it.each([
    ['moderator', 'moderatorRoleId', 'moderators'],
    ['organizer', 'organizerRoleId', 'organizers'],
  ] as const)('GIVEN the %s purpose WHEN a role is set then cleared THEN the reply and audit show it as a role mention that pings nobody', async (purpose, key, roleName) => {
    const role = w.roles[roleName];
    const label = en.config.labels[key];
    const set = await change('role', { purpose, role });
    expect(set.reply).toBe(en.config.updated(label, en.config.none, `<@&${role}>`));
    expectAudit(set.entry, w.admin.id, label, en.config.none, `<@&${role}>`);
    expect((await settings())[key]).toBe(role);

    const cleared = await change('role', { purpose });
    expect(cleared.reply).toBe(en.config.updated(label, `<@&${role}>`, en.config.none));
    expectAudit(cleared.entry, w.admin.id, label, `<@&${role}>`, en.config.none);
    expect((await settings())[key]).toBeNull();
  });
});

describe('/config channel when the bot cannot post there', () => {
  const cases: Array<[string, PermissionName[], 'member' | 'role', string[]]> = [
    // Without View Channel nothing else works in the channel, so all four are needed (permissions.ts).
    ['View Channel', ['ViewChannel'], 'member', ['ViewChannel', 'SendMessages', 'EmbedLinks', 'AttachFiles']],
    ['Send Messages', ['SendMessages'], 'role', ['SendMessages']],
    ['Embed Links', ['EmbedLinks'], 'member', ['EmbedLinks']],
    ['Attach Files', ['AttachFiles'], 'role', ['AttachFiles']],
    ['Embed Links and Attach Files', ['EmbedLinks', 'AttachFiles'], 'member', ['EmbedLinks', 'AttachFiles']],
  ];

  it.each(cases)('GIVEN a channel denying the bot %s WHEN it is chosen for announcements THEN the reply names exactly what is missing and nothing changes', async (_what, deny, on, missing) => {
    const channel = env.sim.createChannel(w.guildId, { name: `locked-${deny.join('-').toLowerCase()}` });
    await until(() => env.h.bot.client.channels.cache.has(channel), 'the bot to see the channel');
    env.sim.setChannelOverwrites(channel, [on === 'member' ? { id: env.sim.applicationId, type: 'member', deny } : { id: w.guild.botRoleId, type: 'role', deny }]);
    const names = missing.map((p) => en.config.permissionNames[p as keyof typeof en.config.permissionNames]).join(', ');
    expect(await refused('channel', { purpose: 'announcements', channel })).toBe(en.config.missingPermissions(`<#${channel}>`, names));
  });

  it('GIVEN a French admin and #bot-log hidden from the bot WHEN it is chosen as the log channel THEN the refusal is in French and, once the bot is let in, it is accepted', async () => {
    const world = await newWorld(env, { botInLog: false });
    const all = ['ViewChannel', 'SendMessages', 'EmbedLinks', 'AttachFiles'] as const;
    expect(await refused('channel', { purpose: 'log', channel: world.channels.log }, { world, locale: 'fr' })).toBe(
      fr.config.missingPermissions(`<#${world.channels.log}>`, all.map((p) => fr.config.permissionNames[p]).join(', ')),
    );
    env.sim.setChannelOverwrites(world.channels.log, [
      { id: '@everyone', deny: ['ViewChannel'] },
      { id: env.sim.applicationId, type: 'member', allow: ['ViewChannel'] },
    ]);
    expect(await configText(env, world, 'channel', { purpose: 'log', channel: world.channels.log }, { locale: 'fr' })).toBe(
      fr.config.updated(fr.config.labels.logChannelId, fr.config.none, `<#${world.channels.log}>`),
    );
    // The audit entry is in the server's public language (English here), whoever changed it.
    await until(() => logEntries(world).length === 1, 'the audit entry');
    expectAudit(logEntries(world)[0]!, world.admin.id, en.config.labels.logChannelId, en.config.none, `<#${world.channels.log}>`);
  });
});

describe('/config milestones', () => {
  it('GIVEN unsorted thresholds with repeats and odd separators WHEN set THEN they are stored sorted and unique, and "default" restores the default list', async () => {
    const label = en.config.labels.milestones;
    const defaults = DEFAULT_MILESTONES.join(', ');
    const set = await change('milestones', { thresholds: ' 50, 5;5  20,+3 , 20 ' });
    expect((await settings()).milestones).toEqual([3, 5, 20, 50]);
    expect(set.reply).toBe(en.config.updated(label, defaults, '3, 5, 20, 50'));
    expectAudit(set.entry, w.admin.id, label, defaults, '3, 5, 20, 50');

    const back = await change('milestones', { thresholds: 'DEFAULT' });
    expect((await settings()).milestones).toEqual([...DEFAULT_MILESTONES]);
    expect(back.reply).toBe(en.config.updated(label, '3, 5, 20, 50', defaults));
  });

  const bad: Array<[string, string, (m: typeof en) => string]> = [
    ['a negative number', '10, -5, 20', (m) => m.config.notPositive('-5')],
    ['zero', '0', (m) => m.config.notPositive('0')],
    ['words', 'ten, twenty', (m) => m.config.notANumber('ten')],
    // Shown as the member typed it, through the sanitizer (Discord renders the escaped dot as a dot).
    ['decimals', '2.5', (m) => m.config.notANumber(sanitizeUserText('2.5', 40, { maxLines: 1 }))],
    ['a huge number', '100000001', (m) => m.config.tooBig('100000001')],
    ['only separators', ' , ; ', (m) => m.config.empty],
    ['150 distinct values', Array.from({ length: 150 }, (_, i) => i + 1).join(' '), (m) => m.config.tooMany(150)],
    ['the longest list Discord lets through (500 entries)', Array.from({ length: 500 }, () => '1').join(' '), (m) => m.config.tooMany(500)],
  ];

  it.each(bad)('GIVEN %s WHEN set as thresholds THEN the reply says what is wrong and the thresholds are unchanged', async (_what, input, problem) => {
    expect(input.length).toBeLessThanOrEqual(1000);
    expect(await refused('milestones', { thresholds: input })).toBe(en.config.badThresholds(problem(en)));
  });

  it('GIVEN a list of 100 eight-digit thresholds replaced by another WHEN set THEN the reply fits Discord’s 2,000 characters and the change is audited', async () => {
    const world = await newWorld(env);
    await configText(env, world, 'channel', { purpose: 'log', channel: world.channels.log });
    await until(() => logEntries(world).length === 1, 'the first audit entry');
    const list = (from: number) => Array.from({ length: 100 }, (_, i) => from + i);
    const first = await change('milestones', { thresholds: list(10_000_000).join(' ') }, world);
    expect(first.reply.length).toBeLessThanOrEqual(2000);
    expect((await settings(world)).milestones).toEqual(list(10_000_000));

    // Before and after are ~1,000 characters each: the reply must be shortened, not refused by Discord.
    const second = await change('milestones', { thresholds: list(20_000_000).join(' ') }, world);
    expect((await settings(world)).milestones).toEqual(list(20_000_000));
    expect(second.reply.length).toBeLessThanOrEqual(2000);
    expect(second.reply.startsWith(`**${en.config.labels.milestones}**: 10000000, 10000001`)).toBe(true);
    expect(second.reply).toContain(' → 20000000, 20000001');
    // The audit entry keeps both lists whole (each fits a 1,024-character field).
    expect(second.entry.embeds[0]?.fields?.[2]?.value).toBe(list(10_000_000).join(', '));
    expect(second.entry.embeds[0]?.fields?.[3]?.value).toBe(list(20_000_000).join(', '));
    const show = await config(env, world, 'show').waitForReply();
    expect(show.embeds[0]?.fields?.find((f) => f.name === en.config.labels.milestones)?.value).toBe(list(20_000_000).join(', '));
  });

  it('GIVEN a French admin and a bad entry THEN the refusal is in French', async () => {
    expect(await refused('milestones', { thresholds: 'dix' }, { locale: 'fr' })).toBe(fr.config.badThresholds(fr.config.notANumber('dix')));
  });

  it('GIVEN 10,000 thresholds WHEN typed THEN Discord’s client refuses them (the option allows 1,000 characters), so the bot never sees them', () => {
    const tenThousand = Array.from({ length: 10_000 }, (_, i) => i + 1).join(',');
    expect(() => config(env, w, 'milestones', { thresholds: tenThousand })).toThrow(SimUsageError);
    expect(() => config(env, w, 'milestones', { thresholds: '1'.repeat(1001) })).toThrow(SimUsageError);
  });
});

describe('/config language and switches', () => {
  it('GIVEN the language set to French THEN it is stored, the admin is answered in their own language and the audit entry is in French', async () => {
    const world = await newWorld(env);
    await configText(env, world, 'channel', { purpose: 'log', channel: world.channels.log });
    await until(() => logEntries(world).length === 1, 'the first audit entry');
    const { reply, entry } = await change('language', { value: 'fr' }, world);
    expect(reply).toBe(en.config.updated(en.config.labels.publicLocale, en.config.languages.en, en.config.languages.fr));
    expect((await settings(world)).publicLocale).toBe('fr');
    expectAudit(entry, world.admin.id, fr.config.labels.publicLocale, fr.config.languages.en, fr.config.languages.fr, fr);

    const again = await change('language', { value: 'en' }, world);
    expect((await settings(world)).publicLocale).toBe('en');
    expectAudit(again.entry, world.admin.id, en.config.labels.publicLocale, en.config.languages.fr, en.config.languages.en);
  });

  it.each([
    ['screenshots', 'keepScreenshots', false],
    ['auto-verify', 'autoVerify', true],
    ['campaign-milestones', 'campaignMilestones', true],
  ] as const)('GIVEN /config %s WHEN switched, switched again to the same value, and back THEN only real changes are stored and audited', async (sub, key, initial) => {
    const label = en.config.labels[key];
    const word = (v: boolean) => (v ? en.config.on : en.config.off);
    expect((await settings())[key]).toBe(initial);

    const flip = await change(sub, { enabled: !initial });
    expect(flip.reply).toBe(en.config.updated(label, word(initial), word(!initial)));
    expectAudit(flip.entry, w.admin.id, label, word(initial), word(!initial));
    expect((await settings())[key]).toBe(!initial);

    // The same value again: said so, nothing written to the log.
    const before = logEntries().length;
    const same = config(env, w, sub, { enabled: !initial });
    expect((await same.waitForReply()).content).toBe(en.config.unchanged(label));
    await handled(env, same);
    expect(logEntries()).toHaveLength(before);

    const back = await change(sub, { enabled: initial });
    expectAudit(back.entry, w.admin.id, label, word(!initial), word(initial));
    expect((await settings())[key]).toBe(initial);
  });
});

describe('who may use /config', () => {
  it('GIVEN members without Manage Server (plain, moderator, organizer) THEN Discord does not offer /config to them at all', async () => {
    await env.h.bot.ctx.settings.update(w.guildId, { organizerRoleId: w.roles.organizers, moderatorRoleId: w.roles.moderators });
    for (const user of [w.users.member, w.users.moderator, w.users.organizer]) {
      expect(() => config(env, w, 'show', {}, { userId: user.id }), user.username).toThrow(/default_member_permissions/);
    }
    await env.h.bot.ctx.settings.reset(w.guildId, ['organizerRoleId', 'moderatorRoleId']);
  });

  it('GIVEN the server owner (all permissions) THEN /config works', async () => {
    const reply = await config(env, w, 'show', {}, { userId: w.guild.ownerId }).waitForReply();
    expect(reply.embeds[0]?.title).toBe(en.config.title);
  });

  it('GIVEN an admin who opened /config to everyone in Server Settings › Integrations THEN the bot still refuses members without Manage Server, changing and logging nothing', async () => {
    // Discord lets admins override a command's default_member_permissions per server; the member's
    // interaction then reaches the bot carrying their real permissions. The simulator has no such
    // override, so the same situation is built with a server-scoped /config that has no
    // default_member_permissions (found before the global one); the bot routes by name.
    const { default_permission: _deprecated, ...json } = configCommand.toJSON();
    const open = { ...json, default_member_permissions: null };
    env.sim.seedCommands([open], w.guildId);
    try {
      const member = w.users.member;
      const organizer = newMember(env, w, { roles: [w.roles.organizers] });
      await env.h.bot.ctx.settings.update(w.guildId, { organizerRoleId: w.roles.organizers });
      const before = await settings();
      expect(await refused('show', {}, { userId: member.id })).toBe(en.config.notAllowed);
      expect(await refused('show', {}, { userId: member.id, locale: 'fr' })).toBe(fr.config.notAllowed);
      expect(await refused('channel', { purpose: 'announcements', channel: w.channels.general }, { userId: member.id })).toBe(en.config.notAllowed);
      expect(await refused('milestones', { thresholds: '1' }, { userId: organizer.id })).toBe(en.config.notAllowed);
      expect(await refused('language', { value: 'fr' }, { userId: w.users.moderator.id })).toBe(en.config.notAllowed);
      expect(await settings()).toEqual(before);

      // Losing Manage Server takes effect at once: the permission is checked on every use.
      const admin = newMember(env, w);
      const adminRole = env.sim.createRole(w.guildId, { name: 'Admins', permissions: ['ManageGuild'] });
      env.sim.setMemberRoles(w.guildId, admin.id, [adminRole]);
      expect((await config(env, w, 'show', {}, { userId: admin.id }).waitForReply()).embeds[0]?.title).toBe(en.config.title);
      env.sim.setMemberRoles(w.guildId, admin.id, []);
      expect(await refused('show', {}, { userId: admin.id })).toBe(en.config.notAllowed);
    } finally {
      env.sim.seedCommands([], w.guildId);
      await env.h.bot.ctx.settings.reset(w.guildId, ['organizerRoleId']);
    }
  });
});
