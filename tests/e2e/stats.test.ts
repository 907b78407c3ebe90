// /stats show and /stats export end to end: who may use them, figures that match the store, the
// chart, and a CSV that carries one row per pledge and nothing private. Hostile values cannot be
// stored through the pledge schema (ids, fixed words, ISO dates), so RFC 4180 quoting and formula
// neutralization of arbitrary text are tested at the unit level (tests/stats/csv.test.ts, with the
// 100,000-row stream); here a forged record shows what the export does with one.
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { en } from '../../src/i18n/en.js';
import { recordId } from '../../src/pledges/keys.js';
import type { PledgeRecord } from '../../src/pledges/index.js';
import { STATS_CHART_NAME } from '../../src/render/stats.js';
import { CSV_COLUMNS, statsStrings } from '../../src/stats/index.js';
import type { InteractionHandle, SimMessage, SimUser } from '../../src/sim/index.js';
import {
  configText,
  errorLogs,
  expectCleanWire,
  handled,
  isPng,
  newMember,
  newWorld,
  pledgeAndSettle,
  startOpsBot,
  type OpsBot,
  type OpsWorld,
} from './helpers/ops.js';

let env: OpsBot;

beforeAll(async () => {
  env = await startOpsBot();
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env)).toEqual([]);
});

const S = statsStrings;

function stats(world: OpsWorld, sub: 'show' | 'export', user: SimUser | string, locale?: string): InteractionHandle {
  return env.sim.slash({
    guildId: world.guildId,
    channelId: world.channels.general,
    userId: typeof user === 'string' ? user : user.id,
    name: 'stats',
    subcommand: sub,
    ...(locale ? { locale } : {}),
  });
}

function field(message: SimMessage, name: string): string | undefined {
  return message.embeds[0]?.fields?.find((f) => f.name === name)?.value;
}

let seeded = 0;

/**
 * Pledges in every status, most written through the service (as the pledge flow does) to keep the
 * test quick, two through /pledge submit so their records carry real screenshot fingerprints.
 */
async function populate(world: OpsWorld): Promise<void> {
  const p = env.h.bot.ctx.pledges;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    seeded += 1;
    const userId = `${8_100_000_000 + seeded}`;
    ids.push(userId);
    const r = await p.submit({ guildId: world.guildId, userId, interactionId: `stats-${seeded}`, platform: i % 2 ? 'ios' : 'android', note: 'private, "note"\nline two', evidence: null });
    expect(r.outcome).toBe('created');
  }
  const number = async (userId: string) => {
    const found = await p.get(world.guildId, userId);
    return found.ok ? (found.record?.pledgeId ?? 0) : 0;
  };
  for (const [userId, decision] of [
    [ids[0]!, 'verified'],
    [ids[1]!, 'verified'],
    [ids[2]!, 'rejected'],
  ] as const) {
    const r = await p.review({ guildId: world.guildId, pledgeId: await number(userId), expectedStatus: 'pending', decision, reviewerId: world.users.moderator.id, ...(decision === 'rejected' ? { reason: 'blurry, "retake"' } : {}) });
    expect(r.ok).toBe(true);
  }
  expect((await p.withdraw({ guildId: world.guildId, userId: ids[3]! })).ok).toBe(true);
  for (let i = 0; i < 2; i++) await pledgeAndSettle(env, world, newMember(env, world));
}

async function records(world: OpsWorld): Promise<PledgeRecord[]> {
  const out: PledgeRecord[] = [];
  for await (const r of env.h.bot.ctx.pledges.pledges(world.guildId)) out.push(r);
  return out;
}

/** RFC 4180: CRLF lines, quoted fields with doubled quotes. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let value = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        value += text[i];
        i += 1;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        value += text[i];
        i += 1;
      }
    }
    row.push(value);
    if (text[i] === ',') i += 1;
    else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  if (row.length > 0) throw new Error('last line not terminated by CRLF');
  return rows;
}

describe('/stats: who may use it', () => {
  it('GIVEN a plain member, a moderator or an organizer whose role is not configured WHEN they ask for /stats show or export THEN they are refused privately', async () => {
    const world = await newWorld(env);
    await env.h.bot.ctx.settings.update(world.guildId, { moderatorRoleId: world.roles.moderators });
    for (const user of [world.users.member, world.users.moderator, world.users.organizer]) {
      for (const sub of ['show', 'export'] as const) {
        const handle = stats(world, sub, user);
        const reply = await handle.waitForReply();
        expect(handle.acknowledgement?.type, 'answered at once, not deferred').toBe(4);
        expect(handle.ephemeral).toBe(true);
        expect(reply.content).toBe(en.stats.notAllowed);
        expect(reply.attachments).toEqual([]);
        await handled(env, handle);
      }
    }
  });

  it('GIVEN the organizer role configured, a Manage Server admin and the owner WHEN they ask for /stats show THEN each gets the figures', async () => {
    const world = await newWorld(env);
    await configText(env, world, 'role', { purpose: 'organizer', role: world.roles.organizers });
    for (const user of [world.users.organizer.id, world.admin.id, world.guild.ownerId]) {
      const handle = stats(world, 'show', user);
      expect((await handle.acknowledged()).type).toBe(5);
      const reply = await handle.waitForReply(() => true, 10_000);
      expect(handle.ephemeral).toBe(true);
      expect(reply.embeds[0]?.title).toBe(`${S.en.title} · ${world.name}`);
    }
  });
});

describe('/stats show', () => {
  it('GIVEN pledges in every status WHEN a Manage Server admin asks (en, fr) THEN the figures are those of the store and the chart is a valid 800×400 PNG', async () => {
    const world = await newWorld(env);
    await populate(world);
    const totals = await env.h.bot.ctx.pledges.totals(world.guildId);
    const campaign = await env.h.bot.ctx.pledges.campaignTotals();
    // The aggregates the command reads are the records' recount.
    const recs = await records(world);
    const byStatus = (s: string) => recs.filter((r) => r.status === s).length;
    expect(totals.byStatus).toEqual({ pending: byStatus('pending'), verified: byStatus('verified'), rejected: byStatus('rejected'), withdrawn: byStatus('withdrawn') });
    expect(totals.byStatus).toEqual({ pending: 4, verified: 2, rejected: 1, withdrawn: 1 });
    expect(totals.counted).toBe(6);
    const today = new Date().toISOString().slice(0, 10);
    expect(totals.daily[today]).toBe(6);

    for (const [locale, lang, tag] of [
      ['en-US', 'en', 'en-US'],
      ['fr', 'fr', 'fr-FR'],
    ] as const) {
      const s = S[lang];
      const fmt = (n: number) => new Intl.NumberFormat(tag).format(n);
      const handle = stats(world, 'show', world.admin, locale);
      const reply = await handle.waitForReply(() => true, 10_000);
      expect(handle.ephemeral).toBe(true);
      expect(reply.allowed_mentions).toEqual({ parse: [] });
      const embed = reply.embeds[0]!;
      expect(embed.title).toBe(`${s.title} · ${world.name}`);
      expect(embed.description).toBeUndefined();
      expect(field(reply, s.counted)).toBe(`**${fmt(totals.counted)}**\n-# ${s.countedHint}`);
      expect(field(reply, s.today)).toBe(`**${fmt(6)}**`);
      expect(field(reply, s.last7Days)).toBe(`**${fmt(6)}**`);
      expect(field(reply, s.byStatus)).toBe(
        [`${s.statuses.pending}: **4**`, `${s.statuses.verified}: **2**`, `${s.statuses.rejected}: **1**`, `${s.statuses.withdrawn}: **1**`].join('\n'),
      );
      const pct = new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 0 }).format(2 / 6);
      expect(field(reply, s.verifiedShare)).toBe(s.verifiedShareValue(pct, '2', '6'));
      const cl = campaign.byLevel;
      expect(field(reply, s.campaign)).toBe(`${s.campaignValue(fmt(campaign.counted), fmt(campaign.servers))}\n${s.campaignLevels(fmt(cl.leave), fmt(cl.strike), fmt(cl.share))}`);
      expect(field(reply, s.byLevel)).toBe([`${s.levels.leave}: **0**`, `${s.levels.strike}: **6**`, `${s.levels.share}: **0**`, `-# ${s.sharesApart}`].join('\n'));
      expect(embed.footer?.text).toBe(s.footer(today));
      expect(embed.image?.url).toBe(`attachment://${STATS_CHART_NAME}`);
      expect(reply.attachments.map((a) => a.filename)).toEqual([STATS_CHART_NAME]);
      const png = reply.attachments[0]!.bytes;
      expect(isPng(png)).toBe(true);
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 400]);
    }
  });

  it('GIVEN a server without pledges WHEN an admin asks THEN it says so, with zeros and "nothing to verify yet"', async () => {
    const world = await newWorld(env);
    const reply = await stats(world, 'show', world.admin).waitForReply(() => true, 10_000);
    expect(reply.embeds[0]?.description).toBe(S.en.empty);
    expect(field(reply, S.en.verifiedShare)).toBe(S.en.noneToVerify);
    expect(field(reply, S.en.counted)).toBe(`**0**\n-# ${S.en.countedHint}`);
    expect(isPng(reply.attachments[0]?.bytes)).toBe(true);
  });
});

describe('/stats export', () => {
  it('GIVEN pledges in every status WHEN an organizer exports THEN a CSV has the header and one row per pledge with exactly the listed columns, and no note, reason, image or fingerprint', async () => {
    const world = await newWorld(env);
    await configText(env, world, 'role', { purpose: 'organizer', role: world.roles.organizers });
    await populate(world);
    const handle = stats(world, 'export', world.users.organizer);
    expect((await handle.acknowledged()).type).toBe(5);
    const reply = await handle.waitForReply(() => true, 10_000);
    expect(handle.ephemeral).toBe(true);
    expect(reply.allowed_mentions).toEqual({ parse: [] });
    const recs = await records(world);
    expect(recs).toHaveLength(8);
    expect(reply.content).toBe(S.en.export.done(String(recs.length)));

    const today = new Date().toISOString().slice(0, 10);
    expect(reply.attachments).toHaveLength(1);
    const file = reply.attachments[0]!;
    expect(file.filename).toBe(S.en.export.filename(world.guildId, today));
    const text = file.bytes.toString('utf8');
    expect(file.bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'no BOM').toBe(false);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1)).toEqual(
      recs.map((r) => [String(r.pledgeId), r.userId, r.status, r.platform, r.createdAt, r.reviewedAt ?? '', r.reviewerId ?? '', r.level]),
    );
    expect(new Set(rows.slice(1).map((r) => r[2]))).toEqual(new Set(['pending', 'verified', 'rejected', 'withdrawn']));

    // Nothing private: notes, reasons, fingerprints, image bytes.
    for (const secret of ['private', 'note', 'blurry', 'retake', 'PNG', 'IHDR']) expect(text).not.toContain(secret);
    const fingerprints = recs.flatMap((r) => (r.evidence ? [r.evidence.sha256, r.evidence.dhash] : []));
    expect(fingerprints.length).toBeGreaterThanOrEqual(4);
    for (const f of fingerprints) expect(text).not.toContain(f);
    expect(text, 'only ids, fixed words and dates').toMatch(/^[0-9a-z_,:.TZ\r\n-]+$/);
  });

  it('GIVEN a French admin WHEN they export THEN the file name and message are in French', async () => {
    const world = await newWorld(env);
    await populate(world);
    const reply = await stats(world, 'export', world.admin, 'fr').waitForReply(() => true, 10_000);
    const today = new Date().toISOString().slice(0, 10);
    expect(reply.content).toBe(S.fr.export.done('8'));
    expect(reply.attachments[0]?.filename).toBe(S.fr.export.filename(world.guildId, today));
    expect(parseCsv(reply.attachments[0]!.bytes.toString('utf8'))).toHaveLength(9);
  });

  it('GIVEN a forged record with spreadsheet formulas and CSV metacharacters in the store WHEN exported THEN the file still parses, and the damaged record is left out rather than written', async () => {
    const world = await newWorld(env);
    await populate(world);
    const victim = (await records(world))[0]!;
    // Only a direct write can put such values in the store: the schema refuses them.
    const raw = env.h.bot.ctx.store.collection('pledge', z.unknown());
    await raw.write(recordId(world.guildId, victim.userId), { ...victim, platform: '=HYPERLINK("http://evil.example","x")', status: '@SUM(1+1),"\r\n' });
    const reply = await stats(world, 'export', world.admin).waitForReply(() => true, 10_000);
    const text = reply.attachments[0]!.bytes.toString('utf8');
    const rows = parseCsv(text);
    expect(rows).toHaveLength(8);
    expect(rows.slice(1).map((r) => r[0])).not.toContain(String(victim.pledgeId));
    expect(text).not.toContain('HYPERLINK');
    expect(text).not.toContain('SUM');
    expect(reply.content).toBe(S.en.export.done('7'));
    await raw.write(recordId(world.guildId, victim.userId), victim);
  });

  it('GIVEN a member exporting three times within a minute THEN the third is refused with a cooldown and gets no file', async () => {
    const world = await newWorld(env);
    for (let i = 0; i < 2; i++) expect((await stats(world, 'export', world.admin).waitForReply(() => true, 10_000)).attachments).toHaveLength(1);
    const third = stats(world, 'export', world.admin);
    const reply = await third.waitForReply();
    expect(third.ephemeral).toBe(true);
    expect(reply.attachments).toEqual([]);
    expect(reply.content).toMatch(/^You’re going a little fast\. Please try again <t:\d+:R>\.$/);
  });
});
