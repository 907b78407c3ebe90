import { AttachmentBuilder, DiscordAPIError, HTTPError, MessageFlags, type ChatInputCommandInteraction, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DiscordSimulator } from '../../src/sim/index.js';
import { loadSpec } from '../../src/sim/spec.js';
import { basicWorld, errorCode, startBot, startSim, until, type TestBot, type World } from './helpers.js';

let sim: DiscordSimulator;
let bot: TestBot;
let world: World;

beforeAll(async () => {
  sim = await startSim({ ackDeadlineMs: 3000 });
  world = basicWorld(sim);
  sim.seedCommands([{ name: 'ping', description: 'Ping' }], world.guildId);
  bot = await startBot(sim);
});

afterAll(async () => {
  await bot.client.destroy();
  await sim.stop();
});

beforeEach(() => {
  bot.handlers.clear();
  bot.errors.length = 0;
  sim.faults.clear();
  sim.clearRecords();
});

function api(path: string, init: RequestInit & { auth?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.auth !== false) headers.set('authorization', `Bot ${sim.token}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${sim.restUrl}/v10${path}`, { ...init, headers });
}

async function general(): Promise<TextChannel> {
  const channel = await bot.client.channels.fetch(world.channelId);
  if (!channel?.isTextBased() || channel.isDMBased()) throw new Error('no text channel');
  return channel as TextChannel;
}

describe('faults', () => {
  it('a 429 on a follow-up is waited out by discord.js, with Discord headers', async () => {
    const fault = sim.faults.add({ method: 'POST', route: '/webhooks/:application_id/:token', status: 429, retryAfter: 0.3 });
    let followed = false;
    bot.handlers.set('ping', async (i) => {
      const c = i as ChatInputCommandInteraction;
      await c.reply({ content: 'first', flags: MessageFlags.Ephemeral });
      await c.followUp({ content: 'second', flags: MessageFlags.Ephemeral });
      followed = true;
    });
    const handle = sim.slash({ ...world, name: 'ping' });
    const ok = await sim.waitForRequest((r) => r.route === '/webhooks/{webhook_id}/{webhook_token}' && r.status === 200);
    const limited = sim.requests.find((r) => r.route === '/webhooks/{webhook_id}/{webhook_token}' && r.status === 429);
    expect(fault.hits).toBe(1);
    expect(limited?.response).toEqual({ message: 'You are being rate limited.', retry_after: 0.3, global: false });
    expect(ok.startedAt - (limited?.endedAt ?? 0)).toBeGreaterThanOrEqual(280);
    expect(handle.followUps.map((m) => m.content)).toEqual(['second']);
    await until(() => followed, 5000, 'followUp to resolve');
    expect(bot.errors).toEqual([]);
  });

  it('sends the 429 headers discord.js reads', async () => {
    sim.faults.add({ route: '/users/@me', status: 429, retryAfter: 2.5, global: true });
    const res = await api('/users/@me');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2.5');
    expect(res.headers.get('x-ratelimit-global')).toBe('true');
    expect(res.headers.get('x-ratelimit-scope')).toBe('global');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]+$/);
    const normal = await api('/users/@me');
    expect(Number(normal.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(normal.headers.get('x-ratelimit-reset-after')).toBe('1.000');
  });

  it('a single 500 is retried by discord.js; four in a row surface as HTTPError', async () => {
    const channel = await general();
    sim.faults.add({ method: 'POST', route: '/channels/{channel_id}/messages', status: 500 });
    const sent = await channel.send({ content: 'after a 500' });
    expect(sim.channelMessages(world.channelId).at(-1)?.id).toBe(sent.id);
    expect(sim.requests.filter((r) => r.route === '/channels/{channel_id}/messages').map((r) => r.status)).toEqual([500, 200]);

    sim.faults.add({ method: 'POST', route: /\/channels\/\d+\/messages$/, status: 503, count: 4 });
    const error: unknown = await channel.send({ content: 'never' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).status).toBe(503);
  });

  it('delays and hangs', async () => {
    sim.faults.add({ route: '/users/@me', delayMs: 200 });
    const started = Date.now();
    expect((await api('/users/@me')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    sim.faults.add({ route: '/users/@me', hang: true });
    await expect(api('/users/@me', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(sim.requests.at(-1)?.status).toBeUndefined();
    expect(sim.requests.at(-1)?.fault).toMatch(/hang/);
  });
});

describe('channel messages', () => {
  it('deduplicates a nonce with enforce_nonce within the window', async () => {
    const channel = await general();
    const before = sim.channelMessages(world.channelId).length;
    const a = await channel.send({ content: 'once', nonce: 'pledge-42', enforceNonce: true });
    const b = await channel.send({ content: 'once', nonce: 'pledge-42', enforceNonce: true });
    expect(b.id).toBe(a.id);
    expect(sim.channelMessages(world.channelId)).toHaveLength(before + 1);
    expect(sim.message(a.id)?.nonce).toBe('pledge-42');
    const c = await channel.send({ content: 'twice', nonce: 'pledge-42' });
    expect(c.id).not.toBe(a.id);
    sim.clock.advance(10 * 60 * 1000);
    const d = await channel.send({ content: 'later', nonce: 'pledge-42', enforceNonce: true });
    expect(d.id).not.toBe(a.id);
  });

  it('serves embeds and components as stored, frozen: a snapshot cannot change the message', async () => {
    const channel = await general();
    const sent = await channel.send({ content: 'card', embeds: [{ title: 'Facts', fields: [{ name: 'a', value: 'b' }] }] });
    const snap = sim.message(sent.id);
    expect(snap?.embeds[0]?.title).toBe('Facts');
    expect(Object.isFrozen(snap?.embeds[0])).toBe(true);
    expect(() => {
      (snap?.embeds as Array<Record<string, unknown>>).push({ title: 'injected' });
    }).toThrow(TypeError);
    expect(sim.message(sent.id)?.embeds).toHaveLength(1);
    // An edit replaces the list; the earlier snapshot keeps what it saw.
    await sent.edit({ embeds: [{ title: 'Donors' }] });
    expect(sim.message(sent.id)?.embeds[0]?.title).toBe('Donors');
    expect(snap?.embeds[0]?.title).toBe('Facts');
  });

  it('parses a body sent again once: one frozen value, components numbered once, messages still their own', async () => {
    const channel = await general();
    const payload = {
      content: 'same bytes',
      embeds: [{ title: 'Alternatives', fields: [{ name: 'Gemini · Google', value: '★ pointed to' }] }],
      components: [{ type: 1, components: [{ type: 2, style: 5, label: 'Website', url: 'https://example.org' }] }],
    };
    const first = await channel.send(payload);
    const second = await channel.send(payload);
    const bodies = sim.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${world.channelId}/messages`).slice(-2);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]?.body).toBe(bodies[1]?.body);
    expect(Object.isFrozen(bodies[0]?.body)).toBe(true);
    expect(() => {
      (bodies[0]?.body as Record<string, unknown>).content = 'changed';
    }).toThrow(TypeError);

    const [a, b] = [sim.message(first.id), sim.message(second.id)];
    expect(a?.id).not.toBe(b?.id);
    expect(b?.content).toBe('same bytes');
    expect(b?.embeds[0]?.fields?.[0]?.name).toBe('Gemini · Google');
    // Discord numbered the components; the second message has the same numbers from the same work.
    expect(a?.components).toBe(b?.components);
    expect(a?.components[0]?.id).toBe(1);
    expect(a?.components[0]?.components?.[0]?.id).toBe(2);

    // One byte different: parsed on its own.
    const third = await channel.send({ ...payload, content: 'same bytez' });
    expect(sim.message(third.id)?.content).toBe('same bytez');
    expect(sim.message(third.id)?.components).not.toBe(a?.components);
  });

  it('multipart uploads, edits, listing, deleting', async () => {
    const channel = await general();
    const sent = await channel.send({ content: 'with file', files: [new AttachmentBuilder(Buffer.from('hello'), { name: 'hello.txt' })] });
    const stored = sim.message(sent.id);
    expect(stored?.attachments[0]?.bytes.toString()).toBe('hello');
    expect(sent.attachments.first()?.url).toBe(stored?.attachments[0]?.url);
    const edited = await sent.edit({ content: 'edited', attachments: [] });
    expect(edited.content).toBe('edited');
    expect(sim.message(sent.id)?.attachments).toEqual([]);
    expect(sim.message(sent.id)?.edited_timestamp).not.toBeNull();
    const fetched = await channel.messages.fetch({ limit: 2 });
    expect(fetched.first()?.id).toBe(sent.id);
    await sent.delete();
    expect(sim.message(sent.id)?.deleted).toBe(true);
    expect(errorCode(await channel.messages.fetch({ message: sent.id, force: true }).catch((e: unknown) => e))).toBe(10008);
  });

  it('refuses what the bot may not do: 50001 without view, 50013 without send, embed or attach', async () => {
    const hidden = sim.createChannel(world.guildId, { name: 'hidden', permissionOverwrites: [{ id: '@everyone', deny: ['ViewChannel'] }] });
    const readOnly = sim.createChannel(world.guildId, { name: 'read-only', permissionOverwrites: [{ id: '@everyone', deny: ['SendMessages'] }] });
    const noEmbeds = sim.createChannel(world.guildId, { name: 'no-embeds', permissionOverwrites: [{ id: '@everyone', deny: ['EmbedLinks', 'AttachFiles'] }] });
    sim.setBotPermissions(world.guildId, ['ViewChannel', 'SendMessages', 'ReadMessageHistory']);
    try {
      const post = (channelId: string, body: unknown): Promise<unknown> => bot.client.rest.post(`/channels/${channelId}/messages`, { body }).catch((e: unknown) => e);
      expect(errorCode(await post(hidden, { content: 'x' }))).toBe(50001);
      expect(errorCode(await post(readOnly, { content: 'x' }))).toBe(50013);
      expect(errorCode(await post(noEmbeds, { embeds: [{ title: 'x' }] }))).toBe(50013);
      expect(errorCode(await post(noEmbeds, { content: 'plain' }))).toBeUndefined();
      expect(errorCode(await post('1', { content: 'x' }))).toBe(10003);
    } finally {
      sim.setBotPermissions(world.guildId, ['ViewChannel', 'SendMessages', 'EmbedLinks', 'AttachFiles', 'ReadMessageHistory']);
    }
  });

  it('DMs: closed DMs and strangers give 50007', async () => {
    const open = sim.createUser({ username: 'open' });
    sim.addMember(world.guildId, open.id);
    const closed = sim.createUser({ username: 'closed', dmsOpen: false });
    sim.addMember(world.guildId, closed.id);
    const stranger = sim.createUser({ username: 'stranger' });
    const dm = await bot.client.users.send(open.id, { content: 'hi' });
    expect(sim.channelMessages(sim.dmChannelId(open.id) ?? '')[0]?.id).toBe(dm.id);
    const refused = await bot.client.users.send(closed.id, { content: 'hi' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DiscordAPIError);
    expect(errorCode(refused)).toBe(50007);
    expect(errorCode(await bot.client.users.send(stranger.id, { content: 'hi' }).catch((e: unknown) => e))).toBe(50007);
  });

  it('bodies that break the schema or limits answer 50035 and are recorded', async () => {
    const res = await api(`/channels/${world.channelId}/messages`, { method: 'POST', body: JSON.stringify({ content: 'x'.repeat(2001), contnet: 'typo' }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: number; errors: Record<string, unknown> };
    expect(body.code).toBe(50035);
    expect(Object.keys(body.errors).sort()).toEqual(['_errors', 'content']);
    expect(sim.violations).toHaveLength(1);
    expect(sim.violations[0]?.issues.map((i) => i.code).sort()).toEqual(['custom', 'unrecognized_keys']);
  });
});

describe('routes, auth and commands', () => {
  it('records unknown routes (404, code 0) and wrong methods (405)', async () => {
    const error = await bot.client.rest.get(`/guilds/${world.guildId}/audit-logs`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(404);
    expect((error as DiscordAPIError).code).toBe(0);
    expect(sim.unknownRoutes).toEqual([expect.objectContaining({ method: 'GET', path: `/guilds/${world.guildId}/audit-logs`, knownToDiscord: true, status: 404 })]);
    const nonsense = await api('/nonsense/route');
    expect(await nonsense.json()).toEqual({ message: '404: Not Found', code: 0 });
    expect(sim.unknownRoutes.at(-1)?.knownToDiscord).toBe(false);
    expect((await api('/users/@me', { method: 'DELETE' })).status).toBe(405);
  });

  it('needs `Bot <token>` except on interaction and webhook routes', async () => {
    const res = await api('/users/@me', { auth: false });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: '401: Unauthorized', code: 0 });
    expect((await api('/users/@me', { headers: { authorization: `Bearer ${sim.token}` }, auth: false })).status).toBe(401);
    const me = (await (await api('/users/@me')).json()) as { id: string; bot: boolean };
    expect(me).toMatchObject({ id: sim.applicationId, bot: true });
  });

  it('command CRUD keeps ids across upserts and bulk overwrites', async () => {
    const base = `/applications/${sim.applicationId}/guilds/${world.guildId}/commands`;
    const created = await api(base, { method: 'POST', body: JSON.stringify({ name: 'stats', description: 'Stats', default_member_permissions: '8' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const again = await api(base, { method: 'POST', body: JSON.stringify({ name: 'stats', description: 'Stats v2' }) });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(id);
    const patched = (await (await api(`${base}/${id}`, { method: 'PATCH', body: JSON.stringify({ description: 'Patched' }) })).json()) as { description: string };
    expect(patched.description).toBe('Patched');
    const bulk = (await (await api(base, { method: 'PUT', body: JSON.stringify([{ name: 'stats', description: 'Bulk' }, { name: 'ping', description: 'Ping' }]) })).json()) as { id: string; name: string }[];
    expect(bulk.find((c) => c.name === 'stats')?.id).toBe(id);
    expect((await api(`${base}/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(((await (await api(`${base}/${id}`)).json()) as { code: number }).code).toBe(10063);
    expect(sim.violations).toEqual([]);
  });

  it('refuses invalid commands: uppercase names, options mixed with subcommands, long descriptions', async () => {
    const res = await api(`/applications/${sim.applicationId}/commands`, {
      method: 'PUT',
      body: JSON.stringify([
        {
          name: 'Pledge',
          description: 'x'.repeat(101),
          options: [
            { type: 1, name: 'add', description: 'Add' },
            { type: 3, name: 'note', description: 'Note' },
          ],
        },
      ]),
    });
    expect(res.status).toBe(400);
    const discordCodes = sim.violations[0]?.issues.map((i) => i.discordCode).sort();
    expect(discordCodes).toEqual(['APPLICATION_COMMAND_INVALID_NAME', 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID', 'BASE_TYPE_MAX_LENGTH']);
    expect(sim.registeredCommands()).toEqual([]);
  });

  it('implements only routes that exist in Discord’s spec', async () => {
    const spec = await loadSpec();
    for (const { method, template } of sim.implementedRoutes) {
      expect(spec.pathsList[method.toLowerCase()], `${method} ${template}`).toContain(template);
    }
  });
});

describe('reads discord.js does', () => {
  it('application, guild, channel, roles and members', async () => {
    const application = await bot.client.application?.fetch();
    expect(application?.id).toBe(sim.applicationId);
    const guild = await bot.client.guilds.fetch({ guild: world.guildId, force: true });
    expect(guild.name).toBe('Test Guild');
    const roles = await guild.roles.fetch();
    expect(roles.has(world.guildId)).toBe(true);
    const channels = await guild.channels.fetch();
    expect(channels.has(world.channelId)).toBe(true);
    const member = await guild.members.fetch({ user: world.userId, force: true });
    expect(member.user.username).toBe('alice');
    expect(errorCode(await guild.members.fetch({ user: '1', force: true }).catch((e: unknown) => e))).toBe(10007);
    const user = await bot.client.users.fetch(world.userId, { force: true });
    expect(user.username).toBe('alice');
    expect(sim.unknownRoutes).toEqual([]);
  });
});

describe('record-only validation', () => {
  it('records the violation but lets the request through', async () => {
    const lenient = await startSim({ validation: 'record' });
    try {
      const w = basicWorld(lenient);
      const res = await fetch(`${lenient.restUrl}/v10/channels/${w.channelId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${lenient.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x'.repeat(2001) }),
      });
      expect(res.status).toBe(200);
      expect(lenient.violations).toHaveLength(1);
    } finally {
      await lenient.stop();
    }
  });
});

describe('CDN', () => {
  it('serves registered bytes, 404s, hangs, trickles, and expires signed URLs', async () => {
    const asset = sim.cdn.register(Buffer.from('image-bytes'), { filename: 'a.png', contentType: 'image/png', expiresInMs: 60_000 });
    expect(asset.url.startsWith(`${sim.cdnUrl}/attachments/`)).toBe(true);
    const ok = await fetch(asset.url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(await ok.text()).toBe('image-bytes');
    expect((await fetch(asset.proxy_url)).status).toBe(200);

    const missing = sim.cdn.registerUrl('404', { filename: 'gone.png' });
    expect((await fetch(missing.url)).status).toBe(404);

    const hanging = sim.cdn.registerUrl('hang', { filename: 'hang.png' });
    await expect(fetch(hanging.url, { signal: AbortSignal.timeout(150) })).rejects.toThrow();

    const slow = sim.cdn.register(Buffer.alloc(64, 1), { filename: 'slow.bin', behavior: { delayMs: 100, chunkBytes: 16, chunkDelayMs: 20 } });
    const started = Date.now();
    expect((await (await fetch(slow.url)).arrayBuffer()).byteLength).toBe(64);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);

    sim.clock.advance(61_000);
    const expired = await fetch(asset.url);
    expect(expired.status).toBe(404);
    expect(await expired.text()).toBe('This content is no longer available.');
    expect(sim.cdn.requests.map((r) => r.status)).toEqual([200, 200, 404, 'hung', 200, 404]);
  });

  it('stop() closes hanging CDN and REST responses', async () => {
    const other = await startSim();
    const hanging = other.cdn.registerUrl('hang');
    other.faults.add({ route: '/gateway', hang: true });
    const pending = [fetch(hanging.url).catch((e: unknown) => e), fetch(`${other.restUrl}/v10/gateway`).catch((e: unknown) => e)];
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.stop();
    const results = await Promise.all(pending);
    expect(results.every((r) => r instanceof Error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
