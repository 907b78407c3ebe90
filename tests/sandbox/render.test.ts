// The sandbox renderer on hand-made messages shaped like the simulator's: what a person reads must
// say where a message is, show every part of it, and never turn escaped text into formatting.
import { describe, expect, it } from 'vitest';
import { fileName, formatText, formatTimestamp, renderMessage } from '../../src/sandbox/render.js';
import type { SimMessage } from '../../src/sim/index.js';

const BOT = { id: '1', username: 'Simulated Bot', bot: true };

function message(over: Partial<SimMessage> = {}): SimMessage {
  return {
    id: '100',
    channel_id: '200',
    guild_id: '300',
    author: BOT,
    content: '',
    embeds: [],
    components: [],
    attachments: [],
    flags: 0,
    tts: false,
    type: 0,
    timestamp: '2026-02-12T10:00:00.000Z',
    edited_timestamp: null,
    deleted: false,
    ...over,
  };
}

describe('headers', () => {
  it('says who sees the message and where it is', () => {
    expect(renderMessage(message({ content: 'hi', flags: 64 }))[0]).toBe('[only you] bot →');
    expect(renderMessage(message({ content: 'hi' }), { channelName: 'pledge-review' })[0]).toBe('[#pledge-review] bot:');
    expect(renderMessage(message({ content: 'hi' }), { dm: true })[0]).toBe('[DM] bot:');
    expect(renderMessage(message({ content: 'hi' }), { channelName: 'general', edited: true })[0]).toBe('[#general] bot (updated):');
    const user = message({ content: 'hello', author: { id: '9', username: 'sam', global_name: 'Sam Member' } });
    expect(renderMessage(user, { channelName: 'general' })[0]).toBe('[#general] Sam Member:');
  });

  it('indents the body under the header and marks an empty message', () => {
    expect(renderMessage(message({ content: 'one\ntwo', flags: 64 }))).toEqual(['[only you] bot →', '  one', '  two']);
    expect(renderMessage(message())).toEqual(['[#200] bot:', '  (empty message)']);
  });
});

describe('text', () => {
  it('drops bold, italics and code marks, and shows -# lines as small print', () => {
    expect(formatText('Your pledge is recorded: **pledge #1**. Use `/pledge status` or *wait*.')).toEqual([
      'Your pledge is recorded: pledge #1. Use /pledge status or wait.',
    ]);
    expect(formatText('A fact.\n-# Press coverage (2026-02-12)')).toEqual(['A fact.', '  Press coverage (2026-02-12)']);
    expect(formatText('## Heading\n> quoted')).toEqual(['Heading', '│ quoted']);
  });

  it('keeps escaped characters literal: member text is not formatting', () => {
    expect(formatText('\\*not italic\\* and \\-# not small')).toEqual(['*not italic* and -# not small']);
    // escapeMarkdown breaks `<@` with zero-width spaces so it cannot ping; it must not read as a mention either.
    expect(formatText('<\u200b@\u200b123>', { users: () => 'alice' })).toEqual(['<@123>']);
  });

  it('names mentions, spells out links and converts timestamps to dates', () => {
    const names = { users: (id: string) => (id === '7' ? 'moderator' : undefined), channels: () => 'general', roles: () => 'Moderators' };
    expect(formatText('verified by <@7>, <@!8> in <#5> for <@&6>', names)).toEqual(['verified by @moderator, @8 in #general for @Moderators']);
    expect(formatText('[Article](<https://example.org/a>) and <https://example.org/b>')).toEqual([
      'Article (https://example.org/a) and https://example.org/b',
    ]);
    expect(formatText('since <t:1770890400:f>')).toEqual(['since 12 February 2026 10:00 UTC']);
    expect(formatText('on <t:1770890400:d> at <t:1770890400:t>')).toEqual(['on 12 February 2026 at 10:00 UTC']);
  });

  it('shows relative timestamps relative to the given time, as dates without one', () => {
    expect(formatTimestamp(1000, 'R', 1000_000 + 3 * 60_000)).toBe('3 minutes ago');
    expect(formatTimestamp(1000 + 7200, 'R', 1000_000)).toBe('in 2 hours');
    expect(formatTimestamp(0, 'R')).toBe('1 January 1970 00:00 UTC');
  });
});

describe('embeds', () => {
  it('shows title, description, fields as name: value, footer and image', () => {
    const lines = renderMessage(
      message({
        embeds: [
          {
            title: 'Pledge #1',
            description: 'A **new** pledge',
            fields: [
              { name: 'Member', value: '<@7>', inline: true },
              { name: 'Screenshot', value: 'PNG 390×640, 8 KB\n`sha256 22ce7bac…`' },
              { name: 'Status', value: 'rejected by <@7>\n> blurry' },
            ],
            footer: { text: 'Page 1/2' },
            image: { url: 'attachment://pledge-screenshot.png' },
          },
        ],
      }),
      { channelName: 'pledge-review', users: () => 'moderator' },
    );
    expect(lines).toEqual([
      '[#pledge-review] bot:',
      '  ┃ Pledge #1',
      '  ┃ A new pledge',
      '  ┃ Member: @moderator',
      '  ┃ Screenshot: PNG 390×640, 8 KB',
      '  ┃   sha256 22ce7bac…',
      '  ┃ Status: rejected by @moderator',
      '  ┃   │ blurry',
      '  ┃ [image: pledge-screenshot.png]',
      '  ┃ — Page 1/2',
    ]);
  });

  it('names an image on the CDN by its file name', () => {
    expect(fileName('http://127.0.0.1:5/cdn/attachments/1/2/pledge-screenshot.png?ex=1&is=2&hm=3&')).toBe('pledge-screenshot.png');
    expect(fileName('attachment://chart.png')).toBe('chart.png');
  });
});

describe('components and attachments', () => {
  it('draws buttons, disabled buttons, link buttons and select menus', () => {
    const lines = renderMessage(
      message({
        flags: 64,
        components: [
          {
            type: 1,
            components: [
              { type: 3, custom_id: 'facts:topic:v1', placeholder: 'Browse a topic…', options: [
                { label: 'The campaign', value: 'campaign' },
                { label: 'Donations', value: 'donations', default: true },
                { label: 'Testimonies', value: 'testimonies' },
              ] },
            ],
          },
          {
            type: 1,
            components: [
              { type: 2, style: 2, label: '◀ Previous', custom_id: 'a', disabled: true },
              { type: 2, style: 2, label: 'Next ▶', custom_id: 'b' },
              { type: 2, style: 5, label: 'Gemini website', url: 'https://gemini.google.com' },
            ],
          },
        ],
      }),
    );
    expect(lines.slice(1)).toEqual([
      '  <Browse a topic…: The campaign | Donations ✓ | Testimonies>',
      '  [(◀ Previous)] [Next ▶] [Gemini website ↗ https://gemini.google.com]',
    ]);
  });

  it('says when a menu takes several options', () => {
    const menu = { type: 3, custom_id: 'm', placeholder: 'Uses', max_values: 3, options: [{ label: 'Coding', value: 'c' }, { label: 'Writing', value: 'w' }] };
    expect(renderMessage(message({ components: [{ type: 1, components: [menu] }] }))[1]).toBe('  <Uses (pick up to 3): Coding | Writing>');
  });

  it('lists attachments by name, type and size', () => {
    const lines = renderMessage(
      message({
        attachments: [{ id: '1', filename: 'pledge-screenshot.png', size: 12_595, content_type: 'image/png', url: 'u', proxy_url: 'p', bytes: Buffer.alloc(0) }],
      }),
    );
    expect(lines[1]).toBe('  📎 pledge-screenshot.png (image/png, 12.3 KB)');
  });
});
