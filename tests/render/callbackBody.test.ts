import { beforeAll, describe, expect, it } from 'vitest';
import { loadKnowledgeBase } from '../../src/kb/load.js';
import { LOCALES } from '../../src/kb/schema.js';
import { renderAlternatives } from '../../src/render/alternatives.js';
import { choicesCallbackBody, messageCallback, messageCallbackBody } from '../../src/render/callbackBody.js';
import { searchDonors, searchTopics } from '../../src/kb/search.js';
import { renderFactsOverview } from '../../src/render/facts.js';
import type { Reply } from '../../src/render/reply.js';
import { loadSpec } from '../../src/sim/spec.js';
import { BodyValidator, StrictSchemas } from '../../src/sim/validation.js';

const loaded = await loadKnowledgeBase('kb');
if (!loaded.ok) throw new Error('kb/ must be valid for these tests');
const kb = loaded.kb;

let validator: BodyValidator;
beforeAll(async () => {
  validator = new BodyValidator(new StrictSchemas(await loadSpec()));
});

describe('messageCallbackBody', () => {
  it('GIVEN a cached answer THEN the same bytes are sent every time, one set per audience', () => {
    const reply = renderAlternatives(kb, { filter: null, page: 0 }, 'en', { shared: false });
    const first = messageCallbackBody(reply, true);
    expect(messageCallbackBody(renderAlternatives(kb, { filter: null, page: 0 }, 'en', { shared: false }), true)).toBe(first);
    const shared = messageCallbackBody(reply, false);
    expect(shared).not.toBe(first);
    expect(messageCallbackBody(reply, false)).toBe(shared);
    // Bytes of its own, not a slice of Node's shared 8 KiB pool that the cache would keep alive.
    expect(first.buffer.byteLength).toBe(first.byteLength);
  });

  it('GIVEN a reply that is not frozen (drawn for one answer) THEN it is serialized as it is now, never from a remembered copy', () => {
    const reply: Reply = { content: 'before', embeds: [], components: [] };
    expect(JSON.parse(messageCallbackBody(reply, true).toString('utf8'))).toMatchObject({ data: { content: 'before' } });
    reply.content = 'after';
    expect(JSON.parse(messageCallbackBody(reply, true).toString('utf8'))).toMatchObject({ data: { content: 'after' } });
  });

  it.each(LOCALES)('GIVEN answers in %s THEN the bytes are a valid callback, private when asked, pinging no one', (locale) => {
    const replies: Reply[] = [
      renderAlternatives(kb, { filter: 'coding', page: 0 }, locale, { shared: false }),
      renderFactsOverview(kb, locale, 0, { shared: true }),
      { content: '@everyone read this', embeds: [], components: [] },
    ];
    for (const reply of replies) {
      for (const ephemeral of [true, false]) {
        const sent: unknown = JSON.parse(messageCallbackBody(reply, ephemeral).toString('utf8'));
        // That it means what discord.js's reply() sends is checked through a real client: tests/e2e/respond.test.ts.
        expect(sent).toEqual(JSON.parse(JSON.stringify(messageCallback(reply, ephemeral))));
        expect(validator.validate('interaction-callback', sent)).toEqual([]);
        expect(sent).toMatchObject({ type: 4, data: { allowed_mentions: { parse: [] }, embeds: reply.embeds, components: reply.components } });
        expect((sent as { data: { flags?: number } }).data.flags).toBe(ephemeral ? 64 : undefined);
      }
    }
  });
});

describe('choicesCallbackBody', () => {
  it('GIVEN a kept autocomplete list THEN the same valid bytes each time, choices named and valued as Discord expects', () => {
    const found = searchTopics(kb, 'don', 'fr');
    const body = choicesCallbackBody(found);
    expect(choicesCallbackBody(searchTopics(kb, 'don', 'fr'))).toBe(body);
    const sent: unknown = JSON.parse(body.toString('utf8'));
    expect(validator.validate('interaction-callback', sent)).toEqual([]);
    expect(sent).toEqual({ type: 8, data: { choices: found.map((c) => ({ name: c.name, value: c.id })) } });
    expect(found.length).toBeGreaterThan(0);
    // Every donor when nothing is typed: also within Discord's 25.
    const donors: unknown = JSON.parse(choicesCallbackBody(searchDonors(kb, '')).toString('utf8'));
    expect(validator.validate('interaction-callback', donors)).toEqual([]);
  });

  it('GIVEN a list that is not kept (not frozen) THEN it is serialized as it is now', () => {
    const list = [{ id: 'a', name: 'A' }];
    expect(JSON.parse(choicesCallbackBody(list).toString('utf8'))).toEqual({ type: 8, data: { choices: [{ name: 'A', value: 'a' }] } });
    list.push({ id: 'b', name: 'B' });
    expect(JSON.parse(choicesCallbackBody(list).toString('utf8')).data.choices).toHaveLength(2);
  });
});
