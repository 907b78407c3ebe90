import { describe, expect, it } from 'vitest';
import { ELLIPSIS, escapeMarkdown, neutralizeMentions, sanitizeUserText, truncate } from '../../src/text/sanitize.js';
import { FAMILY_EMOJI, HOSTILE_STRINGS } from '../fixtures/strings.js';
import type { HostileStringName } from '../fixtures/strings.js';

const ZWSP = '\u200B';
const names = Object.keys(HOSTILE_STRINGS) as HostileStringName[];
const clean = (name: HostileStringName, max = 1_000): string => sanitizeUserText(HOSTILE_STRINGS[name].value, max);

// Discord's mention syntaxes; none may survive in a form the client would resolve.
const PINGS = /@(everyone|here)|<@[!&]?\d+>|<#\d+>/;
const FORBIDDEN = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('sanitizeUserText on every hostile string', () => {
  it.each(names)('%s: no pings, no hidden characters, valid UTF-16, within the limit', (name) => {
    for (const max of [1, 10, 100, 1_000, 6_000]) {
      const out = sanitizeUserText(HOSTILE_STRINGS[name].value, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(PINGS);
      expect(LONE_SURROGATE.test(out)).toBe(false);
      // Our own zero-width spaces are the only ones allowed, and only right after @ or <@ / <#.
      expect(out.replace(/(?<=@|<#)\u200B/g, '')).not.toMatch(FORBIDDEN);
      expect(out).not.toMatch(/\n{3,}/);
    }
  });
});

describe('mentions', () => {
  it('breaks @everyone and @here with a zero-width space but keeps them readable', () => {
    expect(clean('everyone')).toBe(`hey @${ZWSP}everyone I quit!`);
    expect(clean('here')).toBe(`@${ZWSP}here look`);
  });

  it('breaks user, nickname and role mentions', () => {
    expect(clean('userMention')).toBe(`thanks <@${ZWSP}123456789012345678>!`);
    expect(clean('roleMention')).toBe(`calling <@${ZWSP}&456789012345678901>`);
    expect(neutralizeMentions('<@!1> <#2>')).toBe(`<@${ZWSP}!1> <#${ZWSP}2>`);
  });

  it('does not let a pre-inserted zero-width space pass for ours, and does not double it', () => {
    expect(clean('spoofedEveryone')).toBe(`@${ZWSP}everyone`);
  });
});

describe('markdown', () => {
  it('escapes emphasis, spoilers and code', () => {
    expect(clean('markdown')).toBe('\\*\\*bold\\*\\* \\*it\\* \\_\\_under\\_\\_ \\~\\~strike\\~\\~ \\|\\|spoiler\\|\\| \\`code\\`');
  });

  it('defuses masked links while leaving the real URL visible', () => {
    expect(clean('maskedLink')).toBe('\\[click to verify your pledge\\](https://evil.example/login)');
    expect(clean('maskedLinkBrackets')).toBe('\\[\\[https://discord.com\\]\\](https://evil.example)');
  });

  it('cannot close a code fence', () => {
    const out = clean('codeFenceBreak');
    expect(out).not.toContain('```');
    expect(out).toBe(`note\\\`\\\`\\\`\n@${ZWSP}everyone \\*\\*pwned\\*\\*\n\\\`\\\`\\\``);
  });

  it('escapes headings, subtext, quotes and lists at line starts only', () => {
    expect(clean('headings')).toBe('\\# HUGE\n\\## big\n\\-# tiny\n\\> quote\n\\>>> all quoted\n\\- item\n1\\. first');
    expect(escapeMarkdown('a - b # c > d 1. e')).toBe('a - b # c > d 1. e');
  });

  it('escapes backslashes so existing escapes cannot be undone', () => {
    expect(clean('backslashes')).toBe('\\\\\\*not bold\\\\\\* \\\\\\\\');
  });

  it('can leave markdown alone but still neutralizes mentions', () => {
    expect(sanitizeUserText('**hi** @here', 100, { escapeMarkdown: false })).toBe(`**hi** @${ZWSP}here`);
  });
});

describe('invisible and reordering characters', () => {
  it('strips zero-width characters except joiners, which emoji need', () => {
    expect(clean('zeroWidth')).toBe('Qu\u200Ci\u200DtGPT');
    expect(clean('zeroWidthOnly')).toBe('');
    expect(sanitizeUserText(FAMILY_EMOJI, 100)).toBe(FAMILY_EMOJI);
  });

  it('strips bidi overrides, isolates and marks', () => {
    expect(clean('rtlOverride')).toBe('invoicegnp.exe');
    expect(clean('bidiIsolates')).toBe('abcdefgh');
  });

  it('strips control characters, keeping the visible remainder', () => {
    expect(clean('controlChars')).toBe('ok\\[31mred\\[0m');
  });

  it('strips Unicode tag characters used to smuggle text', () => {
    expect(clean('tagSmuggling')).toBe('hi');
  });

  it('caps combining-mark floods', () => {
    const out = clean('zalgo');
    expect(out.startsWith('Z')).toBe(true);
    expect(out.endsWith('algo')).toBe(true);
    expect(out.length).toBe(1 + 8 + 4);
  });

  it('drops lone surrogates and keeps valid pairs', () => {
    expect(clean('loneHighSurrogate')).toBe('badtext');
    expect(clean('loneLowSurrogate')).toBe('start and end');
    expect(sanitizeUserText('ok \u{1F389}', 10)).toBe('ok \u{1F389}');
  });
});

describe('lines', () => {
  it('collapses newline floods to one blank line', () => {
    expect(clean('newlineFlood')).toBe('top\n\nbottom');
    expect(clean('crlfFlood')).toBe('a\n\nb');
  });

  it('folds lines beyond the limit into the last one', () => {
    const out = clean('manyLines', 10_000);
    const lines = out.split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[18]).toBe('line 18');
    expect(lines[19]?.startsWith('line 19 line 20')).toBe(true);
    expect(sanitizeUserText('a\nb\nc', 100, { maxLines: 2 })).toBe('a\nb c');
  });

  it('trims and returns empty for blank input', () => {
    expect(clean('empty')).toBe('');
    expect(clean('whitespaceOnly')).toBe('');
  });
});

describe('truncation', () => {
  it('cuts long text to the limit with an ellipsis', () => {
    const out = clean('long', 100);
    expect(out).toHaveLength(100);
    expect(out.endsWith(ELLIPSIS)).toBe(true);
    expect(clean('long', 6_000)).toBe(HOSTILE_STRINGS.long.value);
  });

  it('never splits an emoji sequence', () => {
    // The family emoji occupies units 98–108; a cut anywhere inside it drops it whole.
    for (let max = 99; max <= 110; max++) {
      const out = clean('longWithEmoji', max);
      expect(out.length).toBeLessThanOrEqual(max);
      const body = out.slice(0, -1);
      expect(body === 'a'.repeat(98) || body === `${'a'.repeat(98)}${FAMILY_EMOJI}` || body.startsWith(`${'a'.repeat(98)}${FAMILY_EMOJI}b`)).toBe(true);
    }
  });

  it('does not leave half an escape before the ellipsis', () => {
    // "\*" pairs: a cut between backslash and star must drop the backslash too.
    const out = sanitizeUserText('*'.repeat(50), 6);
    expect(out).toBe(`\\*\\*${ELLIPSIS}`);
    expect(truncate('ab\\*cd', 4)).toBe(`ab${ELLIPSIS}`);
  });

  it('handles tiny and nonsensical limits', () => {
    expect(sanitizeUserText('hello', 1)).toBe(ELLIPSIS);
    expect(sanitizeUserText('h', 1)).toBe('h');
    expect(sanitizeUserText('hello', 0)).toBe('');
    expect(sanitizeUserText('hello', -5)).toBe('');
    expect(sanitizeUserText('hello', Number.NaN)).toBe('');
    expect(sanitizeUserText('hello', Number.POSITIVE_INFINITY)).toBe('hello');
    expect(sanitizeUserText('hello', 3.9)).toBe(`he${ELLIPSIS}`);
  });
});

describe('robustness', () => {
  it('never throws, whatever it is given', () => {
    const weird: unknown[] = [undefined, null, 42, {}, Symbol('s'), { toString: () => { throw new Error('boom'); } }];
    for (const value of weird) expect(sanitizeUserText(value as string, 100)).toBe('');
  });

  it('is quick on very large input', () => {
    const huge = `${'@everyone '.repeat(100_000)}${'\n'.repeat(100_000)}`;
    const started = Date.now();
    const out = sanitizeUserText(huge, 2_000);
    expect(out.length).toBeLessThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('leaves ordinary text, accents and emoji untouched', () => {
    expect(sanitizeUserText('I quit ChatGPT today. Merci à tous ! 🎉', 200)).toBe('I quit ChatGPT today. Merci à tous ! 🎉');
  });
});
