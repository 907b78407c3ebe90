// The sandbox's line parser against the bot's real command definitions (as `npm run deploy`
// registers them), plus one made-up command for the option types the bot does not use yet.
import { beforeAll, describe, expect, it } from 'vitest';
import { commandDefinitions } from '../../src/bot/loader.js';
import { commandDefs, parseLine, tokenize, type CommandDef, type Step } from '../../src/sandbox/script.js';

let commands: CommandDef[];

const EXTRA = {
  name: 'demo',
  description: 'made up',
  options: [
    { type: 4, name: 'count', description: 'how many', required: true },
    { type: 10, name: 'ratio', description: 'a number' },
    { type: 6, name: 'who', description: 'a user' },
    { type: 7, name: 'where', description: 'a channel' },
    { type: 8, name: 'role', description: 'a role' },
  ],
};

beforeAll(async () => {
  commands = commandDefs([...(await commandDefinitions()), EXTRA]);
});

const parse = (line: string): Step => parseLine(line, commands);

function errorOf(step: Step): string {
  if (step.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(step)}`);
  return step.message;
}

describe('tokenize', () => {
  it('keeps quoted values with spaces as one token, without the quotes', () => {
    expect(tokenize('facts topic:"how it spread" share:true')).toEqual([
      { text: 'facts', asks: false },
      { text: 'topic:how it spread', asks: false },
      { text: 'share:true', asks: false },
    ]);
    expect(tokenize("note:'a b' x:\"say \\\"hi\\\"\"")).toEqual([
      { text: 'note:a b', asks: false },
      { text: 'x:say "hi"', asks: false },
    ]);
  });

  it('reads an apostrophe inside a word as a letter', () => {
    expect(tokenize("topic:OpenAI's")).toEqual([{ text: "topic:OpenAI's", asks: false }]);
  });

  it('marks a trailing ? outside quotes as a request for suggestions', () => {
    expect(tokenize('topic:don?')).toEqual([{ text: 'topic:don', asks: true }]);
    expect(tokenize('topic:"what?"')).toEqual([{ text: 'topic:what?', asks: false }]);
  });

  it('reports an unclosed quote', () => {
    expect(tokenize('topic:"how it')).toEqual({ error: 'a " quote is not closed' });
  });
});

describe('slash commands', () => {
  it('parses options with quotes and the registered types', () => {
    expect(parse('/facts topic:"how it spread" share:true')).toEqual({
      kind: 'slash',
      name: 'facts',
      options: { topic: 'how it spread', share: true },
    });
    expect(parse('/facts share:no')).toMatchObject({ options: { share: false } });
    expect(parse('/demo count:3 ratio:0.5')).toMatchObject({ options: { count: 3, ratio: 0.5 } });
  });

  it('refuses a value that does not fit the type', () => {
    expect(errorOf(parse('/facts share:maybe'))).toBe('option share is true or false, got "maybe"');
    expect(errorOf(parse('/demo count:2.5'))).toContain('expects a whole number');
    expect(errorOf(parse('/facts topic:'))).toContain('needs a value');
  });

  it('turns attachment, user, channel and role options into references the session resolves', () => {
    expect(parse('/pledge submit screenshot:./my-screenshot.png platform:web')).toEqual({
      kind: 'slash',
      name: 'pledge',
      subcommand: 'submit',
      options: { screenshot: { ref: 'file', text: './my-screenshot.png' }, platform: 'web' },
    });
    expect(parse('/demo count:1 who:moderator where:#general role:Moderators')).toMatchObject({
      options: { who: { ref: 'user', text: 'moderator' }, where: { ref: 'channel', text: '#general' }, role: { ref: 'role', text: 'Moderators' } },
    });
  });

  it('accepts a choice by value, by its name or by its French name', () => {
    expect(parse('/alternatives need:coding')).toMatchObject({ options: { need: 'coding' } });
    expect(parse('/alternatives need:"runs locally"')).toMatchObject({ options: { need: 'local' } });
    expect(parse('/alternatives need:programmation')).toMatchObject({ options: { need: 'coding' } });
    expect(errorOf(parse('/alternatives need:cooking'))).toMatch(/"cooking" is not a choice for need; pick one of coding, writing/);
  });

  it('accepts the French names of commands and options', () => {
    expect(parse('/faits sujet:dons')).toEqual({ kind: 'slash', name: 'facts', options: { topic: 'dons' } });
  });

  it('explains an unknown command, with a guess and the list', () => {
    const message = errorOf(parse('/fact'));
    expect(message).toContain('no command /fact. Did you mean /facts?');
    expect(message).toContain('/alternatives');
    expect(message).toContain('/pledge');
  });

  it('explains an unknown option with the usage', () => {
    expect(errorOf(parse('/facts subject:x'))).toContain(
      '/facts has no option "subject". Usage: /facts [topic:<text, end with ? for suggestions>] [share:true|false]',
    );
    expect(errorOf(parse('/facts donations'))).toContain('expected option:value, got "donations"');
  });

  it('asks for a subcommand and for required options', () => {
    expect(errorOf(parse('/pledge'))).toMatch(/^\/pledge needs a subcommand: submit, status, withdraw/);
    expect(errorOf(parse('/pledge sumbit'))).toContain('has no subcommand "sumbit"');
    expect(errorOf(parse('/pledge submit platform:web'))).toContain('/pledge submit needs screenshot.');
    expect(parse('/pledge status')).toEqual({ kind: 'slash', name: 'pledge', subcommand: 'status', options: {} });
  });

  it('asks for autocomplete suggestions with a trailing ?, and lists choices for options that have them', () => {
    expect(parse('/facts topic:don?')).toEqual({ kind: 'slash', name: 'facts', options: {}, focus: { option: 'topic', partial: 'don' } });
    // A required option may still be missing while its neighbour is being typed.
    expect(parse('/donors donor:?')).toMatchObject({ focus: { option: 'donor', partial: '' } });
    const info = parse('/alternatives need:?');
    expect(info.kind).toBe('info');
    expect(info.kind === 'info' && info.message).toContain('local (runs locally)');
  });
});

describe('sandbox lines', () => {
  it('reads the instructions', () => {
    expect(parse('as Moderator')).toEqual({ kind: 'as', who: 'moderator' });
    expect(parse('lang fr')).toEqual({ kind: 'lang', locale: 'fr' });
    expect(parse('lang')).toEqual({ kind: 'lang', locale: null });
    expect(parse('press Next ▶')).toEqual({ kind: 'press', label: 'Next ▶', explicit: true });
    expect(parse('Next')).toEqual({ kind: 'press', label: 'Next', explicit: false });
    expect(parse('select "Donations and money"')).toEqual({ kind: 'select', label: 'Donations and money' });
    expect(parse('channel #pledge-review 10')).toEqual({ kind: 'channel', name: 'pledge-review', count: 10 });
    expect(parse('channel review')).toEqual({ kind: 'channel', name: 'review', count: null });
    expect(parse('help')).toEqual({ kind: 'help' });
    expect(parse('quit')).toEqual({ kind: 'quit' });
    expect(parse('   ')).toEqual({ kind: 'blank' });
    expect(parse('# narration')).toEqual({ kind: 'comment', text: '# narration' });
    expect(parse('as').kind).toBe('error');
  });
});
