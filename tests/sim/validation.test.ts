import { beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/sim/spec.js';
import { BodyValidator, riskyMentions, StrictSchemas, toErrorTree, type BodyKind } from '../../src/sim/validation.js';

let validator: BodyValidator;
let validatorSpec: Awaited<ReturnType<typeof loadSpec>>;

beforeAll(async () => {
  validatorSpec = await loadSpec();
  validator = new BodyValidator(new StrictSchemas(validatorSpec));
});

function codes(kind: BodyKind, body: unknown): string[] {
  return validator.validate(kind, body).map((i) => `${i.path.join('.')}:${i.discordCode}`);
}

const button = (customId: string, label = 'Go') => ({ type: 2, style: 1, custom_id: customId, label });
const row = (...components: unknown[]) => ({ type: 1, components });

describe('remembered verdicts (validateParsed)', () => {
  it('gives the same verdict as validate() for a body seen again, good or bad, each time a list of its own', () => {
    const fresh = new BodyValidator(new StrictSchemas(validatorSpec));
    const bad = { content: 'hi', embeds: [{ title: 't'.repeat(300) }] };
    const good = { content: 'hi', allowed_mentions: { parse: [] } };
    const first = fresh.validateParsed('message-create', JSON.parse(JSON.stringify(bad)));
    expect(first.map((i) => i.path.join('.'))).toEqual(['embeds.0.title']);
    first.push({ source: 'limit', code: 'custom', path: ['files'], message: 'added by a caller', discordCode: 'X' });
    const again = fresh.validateParsed('message-create', JSON.parse(JSON.stringify(bad)));
    expect(again).toEqual(fresh.validate('message-create', bad));
    expect(again).toHaveLength(1);
    expect(fresh.validateParsed('message-create', good)).toEqual([]);
    expect(fresh.validateParsed('message-create', good)).toEqual([]);
  });

  it('takes the request text the body was parsed from as the key, whitespace and all', () => {
    const fresh = new BodyValidator(new StrictSchemas(validatorSpec));
    const text = '{ "content": "hi", "embeds": [ { "title": "' + 't'.repeat(300) + '" } ] }';
    const issues = fresh.validateParsed('message-create', JSON.parse(text), text);
    expect(issues.map((i) => i.path.join('.'))).toEqual(['embeds.0.title']);
    expect(fresh.validateParsed('message-create', JSON.parse(text), text)).toEqual(issues);
    const compact = JSON.stringify(JSON.parse(text));
    expect(fresh.validateParsed('message-create', JSON.parse(compact), compact)).toEqual(issues);
  });

  it('keys verdicts by route family as well as by body', () => {
    const fresh = new BodyValidator(new StrictSchemas(validatorSpec));
    const body = { content: 'x', tts: true };
    expect(fresh.validateParsed('message-create', body)).toEqual([]);
    expect(fresh.validateParsed('webhook-edit', body).map((i) => i.discordCode)).toEqual(['UNKNOWN_FIELD']);
  });
});

describe('schema strictness', () => {
  it('catches unknown keys at any depth, and accepts a correct payload', () => {
    expect(codes('message-create', { content: 'hi', embeds: [{ title: 't', colour: 1 }] })).toEqual(['embeds.0:UNKNOWN_FIELD']);
    expect(codes('message-create', { content: 'hi', embeds: [{ title: 't', color: 0xff0000 }], allowed_mentions: { parse: [] } })).toEqual([]);
  });

  it('allows default_member_permissions as a decimal string or integer, nothing else', () => {
    expect(codes('command-create', { name: 'a', description: 'b', default_member_permissions: '32' })).toEqual([]);
    expect(codes('command-create', { name: 'a', description: 'b', default_member_permissions: 32 })).toEqual([]);
    expect(codes('command-create', { name: 'a', description: 'b', default_member_permissions: 'ManageGuild' })).not.toEqual([]);
  });

  it('tolerates the tts/enforce_nonce that discord.js always sends, only while false', () => {
    expect(codes('webhook-edit', { content: 'x', tts: false, enforce_nonce: false })).toEqual([]);
    expect(codes('webhook-edit', { content: 'x', tts: true })).toEqual([':UNKNOWN_FIELD']);
    expect(codes('interaction-callback', { type: 4, data: { content: 'x', tts: false, enforce_nonce: false } })).toEqual([]);
  });

  it('reports the branch of a union the sender meant', () => {
    const issues = validator.validate('webhook-edit', { components: [row(button('a', 'x'.repeat(81)))] });
    expect(issues.map((i) => [i.path.join('.'), i.code])).toEqual([['components.0.components.0.label', 'too_big']]);
  });

  it('picks the callback schema by type', () => {
    expect(codes('interaction-callback', { type: 8, data: { choices: [{ name: 'a', value: 'b' }] } })).toEqual([]);
    expect(codes('interaction-callback', { type: 9, data: { custom_id: 'm', title: 'x'.repeat(46), components: [row({ type: 4, custom_id: 'f', style: 1, label: 'F' })] } })).toEqual(['data.title:BASE_TYPE_MAX_LENGTH']);
    expect(codes('interaction-callback', { type: 3 })).toEqual(['type:BASE_TYPE_CHOICES']);
  });
});

describe('message limits', () => {
  it('content over 2000 characters (the spec says 4000, which is for Nitro users)', () => {
    expect(codes('message-create', { content: 'x'.repeat(2001) })).toEqual(['content:BASE_TYPE_MAX_LENGTH']);
    expect(codes('message-create', { content: 'é'.repeat(2000) })).toEqual([]);
  });

  it('embeds: per-field limits and 6000 characters in total', () => {
    const big = { title: 't'.repeat(256), description: 'd'.repeat(4096), footer: { text: 'f'.repeat(2048) } };
    expect(codes('message-create', { embeds: [big] })).toEqual(['embeds:MAX_EMBED_SIZE_EXCEEDED']);
    expect(codes('message-create', { embeds: [{ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) }] })).toEqual(['embeds.0.fields:BASE_TYPE_MAX_LENGTH']);
    expect(codes('message-create', { embeds: [{ author: { name: 'a'.repeat(257) }, fields: [{ name: 'n', value: 'v'.repeat(1025) }] }] }).sort()).toEqual([
      'embeds.0.author.name:BASE_TYPE_MAX_LENGTH',
      'embeds.0.fields.0.value:BASE_TYPE_MAX_LENGTH',
    ]);
    expect(codes('message-create', { embeds: Array.from({ length: 11 }, () => ({ title: 'x' })) })).toEqual(['embeds:BASE_TYPE_MAX_LENGTH']);
  });

  it('components: 5 rows, 5 buttons a row, a select alone, unique custom_ids', () => {
    const rows = Array.from({ length: 6 }, (_, i) => row(button(`b${i}`)));
    expect(codes('message-create', { components: rows })).toEqual(['components:BASE_TYPE_MAX_LENGTH']);
    expect(codes('message-create', { components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] })).toEqual(['components.0.components:BASE_TYPE_MAX_LENGTH']);
    const select = { type: 3, custom_id: 's', options: [{ label: 'a', value: 'a' }] };
    expect(codes('message-create', { components: [row(select, button('b'))] })).toEqual(['components.0.components:COMPONENT_LAYOUT_WIDTH_EXCEEDED']);
    expect(codes('message-create', { components: [row(button('same')), row(button('same'))] })).toEqual(['components.1.components.0.custom_id:COMPONENT_CUSTOM_ID_DUPLICATED']);
    const options = Array.from({ length: 26 }, (_, i) => ({ label: `o${i}`, value: `o${i}` }));
    expect(codes('message-create', { components: [row({ type: 3, custom_id: 's', options })] })).toEqual(['components.0.components.0.options:BASE_TYPE_MAX_LENGTH']);
    expect(codes('message-create', { components: [row(button('x'.repeat(101)))] })).toEqual(['components.0.components.0.custom_id:BASE_TYPE_MAX_LENGTH']);
    const link = (url: string) => ({ type: 2, style: 5, label: 'Open', url });
    const at512 = `https://example.org/${'a'.repeat(512 - 'https://example.org/'.length)}`;
    expect(codes('message-create', { components: [row(link(at512))] })).toEqual([]);
    expect(codes('message-create', { components: [row(link(`${at512}a`))] })).toEqual(['components.0.components.0.url:BASE_TYPE_MAX_LENGTH']);
    expect(codes('interaction-callback', { type: 4, data: { components: [row(link(`${at512}a`))] } })).toEqual(['data.components.0.components.0.url:BASE_TYPE_MAX_LENGTH']);
  });

  it('components v2 messages cannot carry content', () => {
    expect(codes('message-create', { flags: 1 << 15, content: 'x', components: [{ type: 10, content: 'hello' }] })).toEqual(['content:MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2']);
    expect(codes('message-create', { flags: 1 << 15, components: [{ type: 10, content: 'hello' }] })).toEqual([]);
  });

  it('autocomplete: at most 25 choices, names of 1-100 characters', () => {
    const choices = Array.from({ length: 26 }, (_, i) => ({ name: `c${i}`, value: `c${i}` }));
    expect(codes('interaction-callback', { type: 8, data: { choices } })).toEqual(['data.choices:BASE_TYPE_MAX_LENGTH']);
    expect(codes('interaction-callback', { type: 8, data: { choices: [{ name: '', value: 'v' }] } })).toEqual(['data.choices.0.name:BASE_TYPE_MIN_LENGTH']);
  });

  it('errors become Discord’s nested errors tree', () => {
    const tree = toErrorTree(validator.validate('interaction-callback', { type: 4, data: { embeds: [{ title: 'x'.repeat(300) }] } }));
    expect(tree).toEqual({ data: { embeds: { '0': { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } } } } });
  });
});

describe('command limits', () => {
  const cmd = (extra: Record<string, unknown>) => ({ name: 'pledge', description: 'Pledge', ...extra });

  it('names, descriptions, option order and nesting', () => {
    expect(codes('command-create', cmd({ name: 'Pledge' }))).toEqual(['name:APPLICATION_COMMAND_INVALID_NAME']);
    expect(codes('command-create', cmd({ name: 'my command' }))).toEqual(['name:APPLICATION_COMMAND_INVALID_NAME']);
    expect(codes('command-create', cmd({ description: '' }))).toEqual(['description:BASE_TYPE_BAD_LENGTH']);
    expect(codes('command-create', cmd({ options: [{ type: 3, name: 'a', description: 'a' }, { type: 3, name: 'b', description: 'b', required: true }] }))).toEqual([
      'options.1.required:APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
    ]);
    expect(codes('command-create', cmd({ options: [{ type: 2, name: 'g', description: 'g', options: [{ type: 3, name: 'x', description: 'x' }] }] }))).not.toEqual([]);
    expect(codes('command-create', cmd({ options: [{ type: 3, name: 'a', description: 'a' }, { type: 3, name: 'a', description: 'a' }] }))).toEqual([
      'options.1.name:APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS',
    ]);
    expect(codes('command-create', cmd({ name_localizations: { fr: 'promesse', 'fr-FR': 'x' } }))).toEqual(['name_localizations.fr-FR:LOCALE_INVALID']);
    expect(codes('command-create', cmd({ nsfw: false }))).toEqual([]);
  });

  it('bulk: unique names per type', () => {
    expect(codes('command-bulk', [cmd({}), cmd({})])).toEqual(['1.name:APPLICATION_COMMANDS_DUPLICATE_NAME']);
    expect(codes('command-bulk', [cmd({}), { name: 'pledge', type: 3 }])).toEqual([]);
  });
});

describe('mentions', () => {
  it('flags pings unless allowed_mentions.parse is empty', () => {
    expect(riskyMentions('hi @everyone', undefined)).toEqual(['@everyone']);
    expect(riskyMentions('hi <@123> <@&456> @here', { parse: ['users'] })).toEqual(['<@123>', '<@&456>', '@here']);
    expect(riskyMentions('hi <@123>', { parse: [] })).toEqual([]);
    expect(riskyMentions('no pings here', undefined)).toEqual([]);
  });
});
