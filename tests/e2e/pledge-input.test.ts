// Hostile and broken input to /pledge submit, end to end: every refusal gives the member the
// specific message for it, records nothing, posts no card, and leaves the bot answering.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { data as pledgeData } from '../../commands/pledge.js';
import { HOSTILE_STRINGS, type HostileStringName } from '../fixtures/strings.js';
import { POLYGLOT_MARKER, type FixtureName } from '../fixtures/images/generate.js';
import { en } from '../../src/i18n/en.js';
import { fr } from '../../src/i18n/fr.js';
import { NOTE_MAX } from '../../src/pledges/index.js';
import { SimUsageError, type CdnAsset, type InteractionHandle, type SimUser } from '../../src/sim/index.js';
import { LIMITS } from '../../src/render/limits.js';
import { unlinked } from '../../src/render/pledge.js';
import { sanitizeUserText } from '../../src/text/sanitize.js';
import {
  cardTitle,
  errorLogs,
  expectBotAlive,
  expectCleanWire,
  expectDeferredEphemeral,
  expectNeutralized,
  field,
  finalContent,
  fixture,
  newMember,
  pledge,
  record,
  startPledgeBot,
  submitPledge,
  uniqueScreenshot,
  upload,
  waitForCard,
  type PledgeBot,
  type Upload,
} from './helpers/pledge.js';

let env: PledgeBot;

// The download timeout is 10 s: that one submission starts with the file and is checked last, so
// the other tests run while the bot waits on the hanging CDN.
let hanging: { member: SimUser; handle: InteractionHandle; started: number };

beforeAll(async () => {
  env = await startPledgeBot();
  const asset = env.sim.cdn.register(await uniqueScreenshot(), { filename: 'slow.png', contentType: 'image/png', behavior: 'hang' });
  hanging = { ...refuse(asset), started: Date.now() };
});
afterAll(async () => {
  await env?.stop();
});
afterEach(() => {
  expectCleanWire(env.sim);
  expect(errorLogs(env), 'no handler failed').toEqual([]);
});

const MB = 1024 * 1024;

/** Submits, then checks the exact refusal, that nothing was stored or posted, and that the bot still answers. */
async function expectRefused(member: SimUser, handle: InteractionHandle, text: string, timeoutMs?: number): Promise<void> {
  await expectDeferredEphemeral(handle);
  expect(await finalContent(handle, timeoutMs)).toBe(text);
  expect(handle.ephemeral).toBe(true);
  expect(await record(env, member.id)).toBeNull();
  const cards = env.sim.channelMessages(env.world.channels.review).filter((m) => field(m, en.review.member) === `<@${member.id}>`);
  expect(cards).toEqual([]);
  await expectBotAlive(env, member);
}

function refuse(file: Upload, opts: { locale?: string } = {}) {
  const member = newMember(env, opts.locale ? { locale: opts.locale } : {});
  return { member, handle: submitPledge(env, member, file) };
}

/**
 * The command as an older deploy registered it: screenshot optional and no length limit on the
 * note. Discord only sends what the registered command allows, so a missing attachment or an
 * over-long note reaches the bot only while such a stale registration is live.
 */
function withStaleRegistration(): () => void {
  const json = JSON.parse(JSON.stringify(pledgeData.toJSON())) as { options: Array<{ name: string; options?: Array<Record<string, unknown>> }> };
  const submit = json.options.find((o) => o.name === 'submit');
  for (const option of submit?.options ?? []) {
    delete option.required;
    delete option.max_length;
  }
  env.sim.seedCommands([json], env.guildId);
  return () => void env.sim.seedCommands([], env.guildId);
}

describe('files that are not a screenshot', () => {
  it.each([
    ['text-file.png', 'a text file named .png', en.pledge.rejection['not-an-image']],
    ['script.svg', 'an SVG carrying a script', en.pledge.rejection['unsupported-format']('svg')],
    ['animated.gif', 'an animated GIF', en.pledge.rejection['unsupported-format']('gif')],
    ['truncated.png', 'a PNG cut short', en.pledge.rejection.corrupt],
    ['pixel-bomb.png', 'a PNG whose header claims 100000x100000', en.pledge.rejection['too-many-pixels']],
    ['empty.png', 'an empty file', en.pledge.rejection.empty],
    ['header-only.pdf', 'a PDF', en.pledge.rejection['unsupported-format']('pdf')],
    ['heic-like.heic', 'a HEIC file', en.pledge.rejection['unsupported-format']('heic')],
  ] as Array<[FixtureName, string, string]>)('GIVEN %s (%s) WHEN submitted THEN the member is told exactly why and nothing is recorded', async (name, _what, text) => {
    const { member, handle } = refuse(upload(fixture(name), name));
    await expectRefused(member, handle, text);
  });

  it('GIVEN a French member and an SVG WHEN submitted THEN the refusal is in French', async () => {
    const { member, handle } = refuse(upload(fixture('script.svg'), 'capture.svg', 'image/svg+xml'), { locale: 'fr' });
    await expectRefused(member, handle, fr.pledge.rejection['unsupported-format']('svg'));
  });

  it('GIVEN a 30 MB file WHEN submitted THEN it is refused as too large without being downloaded', async () => {
    const big = Buffer.alloc(30 * MB);
    fixture('valid-screenshot.png').copy(big);
    const asset = env.sim.cdn.register(big, { filename: 'huge.png', contentType: 'image/png' });
    const { member, handle } = refuse(asset);
    await expectRefused(member, handle, en.pledge.rejection['too-large']);
    expect(env.sim.cdn.requests.filter((r) => r.assetId === asset.id)).toEqual([]);
  });

  it('GIVEN a 30 MB file whose attachment claims to be small WHEN submitted THEN the download stops at the cap and it is refused as too large', async () => {
    const big = Buffer.alloc(30 * MB);
    fixture('valid-screenshot.png').copy(big);
    const real = env.sim.cdn.register(big, { filename: 'liar.png', contentType: 'image/png' });
    const lying: CdnAsset = { ...real, size: 2_000 };
    const { member, handle } = refuse(lying);
    await expectRefused(member, handle, en.pledge.rejection['too-large']);
  });

  it('GIVEN the CDN answers 404 WHEN the bot downloads the screenshot THEN the member is told the download failed', async () => {
    const asset = env.sim.cdn.register(fixture('valid-screenshot.png'), { filename: 'gone.png', contentType: 'image/png', behavior: '404' });
    const { member, handle } = refuse(asset);
    await expectRefused(member, handle, en.pledge.rejection['download-failed']);
  });


  it.each([
    ['the same CDN under another host name', (a: CdnAsset) => a.url.replace('://127.0.0.1:', '://localhost:')],
    ['an outside host', () => 'https://evil.example/attachments/1/2/shot.png'],
    ['a cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('GIVEN an attachment URL on %s WHEN submitted THEN the bot refuses to fetch it', async (_what, urlOf) => {
    const real = env.sim.cdn.register(await uniqueScreenshot(), { filename: 'shot.png', contentType: 'image/png' });
    // The simulator passes a CdnAsset's url through as the attachment's url, as Discord would send it.
    const url = urlOf(real);
    const foreign: CdnAsset = { ...real, url, proxy_url: url };
    const { member, handle } = refuse(foreign);
    await expectRefused(member, handle, en.pledge.rejection['host-not-allowed']);
    expect(env.sim.cdn.requests.filter((r) => r.assetId === real.id)).toEqual([]);
  });
});

describe('a missing screenshot', () => {
  it('GIVEN the registered command requires a screenshot WHEN a client sends none THEN Discord would not send it (the simulator refuses too)', () => {
    const member = newMember(env);
    expect(() => env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: member.id, name: 'pledge', subcommand: 'submit' })).toThrow(SimUsageError);
  });

  it('GIVEN a stale registration without the required flag WHEN a member submits no screenshot THEN they are told to attach one and nothing is recorded', async () => {
    const restore = withStaleRegistration();
    try {
      const member = newMember(env);
      const handle = env.sim.slash({ guildId: env.guildId, channelId: env.world.channels.general, userId: member.id, name: 'pledge', subcommand: 'submit', options: { note: 'no file' } });
      await expectRefused(member, handle, en.pledge.noAttachment);
    } finally {
      restore();
    }
  });
});

describe('images accepted for their pixels only', () => {
  it('GIVEN a PNG with a ZIP/HTML payload appended WHEN submitted THEN it is recorded and the card carries a clean copy without the payload', async () => {
    const member = newMember(env);
    const polyglot = fixture('polyglot-zip-html.png');
    const { text, record: stored } = await pledge(env, member, upload(polyglot, 'innocent.png', 'image/png'));
    expect(text).toContain(en.pledge.created(stored.pledgeId));
    const card = await waitForCard(env, stored.pledgeId);
    const bytes = card.attachments[0]?.bytes ?? Buffer.alloc(0);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from(POLYGLOT_MARKER))).toBe(false);
    expect(bytes.includes(Buffer.from('PK\u0003\u0004', 'latin1'))).toBe(false);
  });

  it('GIVEN a JPEG named .png WHEN submitted THEN it is judged by its bytes and recorded as JPEG', async () => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(fixture('lying-jpeg.png'), 'screen.png', 'image/png'));
    expect(stored.evidence?.format).toBe('jpeg');
  });
});

describe('hostile notes', () => {
  const cases: HostileStringName[] = [
    'everyone',
    'everyoneUppercaseMixed',
    'spoofedEveryone',
    'userMention',
    'roleMention',
    'markdown',
    'maskedLink',
    'maskedLinkBrackets',
    'codeFenceBreak',
    'headings',
    'zeroWidth',
    'rtlOverride',
    'bidiIsolates',
    'tagSmuggling',
    'controlChars',
    'zalgo',
    'longWithEmoji',
  ];
  const notes: Array<[string, string]> = [
    ...cases.map((name): [string, string] => [HOSTILE_STRINGS[name].attack, HOSTILE_STRINGS[name].value]),
    // The shared newline floods are longer than the option's 500 characters: the same attacks, shorter.
    ['push the channel up with empty lines', `top${'\n'.repeat(450)}bottom`],
    ['hundreds of short lines', Array.from({ length: 120 }, (_, i) => `l${i}`).join('\n').slice(0, NOTE_MAX)],
  ];

  it.each(notes)('GIVEN a note meant to %s WHEN the pledge is recorded THEN the card shows it neutralized, without pings, within limits', async (_attack, value) => {
    if (value.length > NOTE_MAX) throw new Error(`a note longer than the option allows: ${value.length}`);
    const member = newMember(env);
    const { text, record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note: value });
    expect(text).toBe(en.pledge.created(stored.pledgeId));
    const expected = sanitizeUserText(value, NOTE_MAX);
    expect(stored.note).toBe(expected);
    const card = await waitForCard(env, stored.pledgeId);
    const note = field(card, en.review.note) ?? '';
    expect(note).toBe(unlinked(expected));
    expectNeutralized(note);
    expect(note, 'a clickable URL').not.toMatch(/[a-z][a-z0-9+.-]*:\/\//i);
    expect(note.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(note.split('\n').length).toBeLessThanOrEqual(20);
    expect(card.allowed_mentions).toEqual({ parse: [] });
  });

  it.each(['zeroWidthOnly', 'whitespaceOnly'] as const)('GIVEN a note that is only %s WHEN recorded THEN the card shows no note field at all', async (name) => {
    const member = newMember(env);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note: HOSTILE_STRINGS[name].value });
    expect(stored.note).toBe('');
    const card = await waitForCard(env, stored.pledgeId);
    expect(field(card, en.review.note)).toBeUndefined();
  });

  it('GIVEN the note option allows 500 characters WHEN a client sends 5,000 THEN Discord would not send it (the simulator refuses too)', async () => {
    const member = newMember(env);
    expect(() => submitPledge(env, member, upload(Buffer.from('x'), 'x.png'), { note: HOSTILE_STRINGS.long.value })).toThrow(SimUsageError);
  });

  it('GIVEN a stale registration without the length limit WHEN a member sends a 5,000-character note THEN it is cut to 500 and the card stays within limits', async () => {
    const restore = withStaleRegistration();
    try {
      const member = newMember(env);
      const long = `@everyone ${'**[x](https://evil.example)** '.repeat(170)}`;
      expect(long.length).toBeGreaterThanOrEqual(5_000);
      const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note: long });
      expect(stored.note.length).toBeLessThanOrEqual(NOTE_MAX);
      expect(stored.note).toBe(sanitizeUserText(long, NOTE_MAX));
      const card = await waitForCard(env, stored.pledgeId);
      expect(card.embeds[0]?.title).toBe(cardTitle(stored.pledgeId));
      const note = field(card, en.review.note) ?? '';
      expect(note.endsWith('…')).toBe(true);
      expectNeutralized(note);
      expect(note, 'a clickable URL').not.toMatch(/https?:\/\//i);
    } finally {
      restore();
    }
  });

  it('GIVEN a 500-character note of characters that all need escaping WHEN recorded THEN it still fits the field', async () => {
    const member = newMember(env);
    const note = '*_'.repeat(250);
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note });
    const card = await waitForCard(env, stored.pledgeId);
    const shown = field(card, en.review.note) ?? '';
    expect(shown.length).toBeLessThanOrEqual(NOTE_MAX);
    expect(shown).toBe(sanitizeUserText(note, NOTE_MAX));
  });

  it('GIVEN a note with plain and bracketed URLs WHEN recorded THEN the card shows them as text, not as links a moderator could click', async () => {
    const member = newMember(env);
    const value = 'proof: https://evil.example/login <https://evil.example/x> HTTP://EVIL.EXAMPLE discord://-/channels/1';
    const { record: stored } = await pledge(env, member, upload(await uniqueScreenshot(), 'shot.png'), { note: value });
    const card = await waitForCard(env, stored.pledgeId);
    const note = field(card, en.review.note) ?? '';
    expect(note).not.toMatch(/[a-z][a-z0-9+.-]*:\/\//i);
    expect(note.replace(/\u200B/g, '')).toBe(stored.note);
  });
});

describe('a CDN that never answers', () => {
  it('GIVEN the CDN never answers WHEN the bot downloads the screenshot THEN it gives up after 10 s and tells the member', async () => {
    const { member, handle, started } = hanging;
    await expectRefused(member, handle, en.pledge.rejection.timeout, 15_000);
    expect(env.sim.cdn.requests.some((r) => r.status === 'hung')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
  }, 25_000);
});
