// The sandbox's input language: one line is a slash command (`/facts topic:"how it spread"`), a
// button label, or a sandbox instruction (`as moderator`, `lang fr`, `channel review`). Slash
// commands are checked against the commands the bot REGISTERED, so a typo gets a helpful answer
// here instead of the simulator's usage error, and option values get the registered types.
// Pure: no file reads, no simulator; the session resolves files, users and channels.

export type Choice = { name: string; value: string | number; nameLocalizations: Record<string, string> };

export type OptionDef = {
  name: string;
  type: number;
  description: string;
  required: boolean;
  autocomplete: boolean;
  choices: Choice[];
  nameLocalizations: Record<string, string>;
  /** Subcommands and groups nest their options. */
  options: OptionDef[];
};

export type CommandDef = { name: string; description: string; nameLocalizations: Record<string, string>; options: OptionDef[] };

export const OptionTypes = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

/** Something only the session can resolve: a file on disk, or a user/channel/role of the demo world by name. */
export type Ref = { ref: 'file' | 'user' | 'channel' | 'role' | 'mentionable'; text: string };
export type OptionValue = string | number | boolean | Ref;

export type SlashStep = {
  kind: 'slash';
  name: string;
  subcommandGroup?: string;
  subcommand?: string;
  options: Record<string, OptionValue>;
  /** `opt:partial?` asks for the autocomplete choices instead of running the command. */
  focus?: { option: string; partial: string };
};

export type Step =
  | { kind: 'blank' }
  | { kind: 'comment'; text: string }
  | SlashStep
  | { kind: 'as'; who: string }
  | { kind: 'lang'; locale: string | null }
  | { kind: 'press'; label: string; explicit: boolean }
  | { kind: 'select'; label: string }
  | { kind: 'channel'; name: string; count: number | null }
  | { kind: 'help' }
  | { kind: 'quit' }
  /** An answer the parser can give by itself (e.g. the choices of an option). */
  | { kind: 'info'; message: string }
  | { kind: 'error'; message: string };

// ─── Registered commands ────────────────────────────────────────────────────────────────────────

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
function localizations(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function optionDef(o: Record<string, unknown>): OptionDef {
  return {
    name: str(o.name),
    type: typeof o.type === 'number' ? o.type : OptionTypes.String,
    description: str(o.description),
    required: o.required === true,
    autocomplete: o.autocomplete === true,
    choices: records(o.choices).map((c) => ({
      name: str(c.name),
      value: typeof c.value === 'number' ? c.value : str(c.value),
      nameLocalizations: localizations(c.name_localizations),
    })),
    nameLocalizations: localizations(o.name_localizations),
    options: records(o.options).map(optionDef),
  };
}

/** Chat-input commands from `sim.registeredCommands()` (Discord's JSON), typed. */
export function commandDefs(registered: readonly unknown[]): CommandDef[] {
  return registered
    .filter(isRecord)
    .filter((c) => c.type === undefined || c.type === 1)
    .map((c) => ({
      name: str(c.name),
      description: str(c.description),
      nameLocalizations: localizations(c.name_localizations),
      options: records(c.options).map(optionDef),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

// ─── Tokens ─────────────────────────────────────────────────────────────────────────────────────

export type Token = { text: string; /** Ends with a `?` outside quotes: an autocomplete request. */ asks: boolean };

/** Splits on spaces outside quotes; `opt:"a b"` is one token `opt:a b`. Backslash escapes a quote. */
export function tokenize(input: string): Token[] | { error: string } {
  const tokens: Token[] = [];
  let text = '';
  let started = false;
  let quote: string | null = null;
  let lastBare = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] ?? '';
    if (quote) {
      if (ch === '\\' && (input[i + 1] === quote || input[i + 1] === '\\')) text += input[++i] ?? '';
      else if (ch === quote) quote = null;
      else text += ch;
      lastBare = '';
      continue;
    }
    // An apostrophe opens a quote only where a value starts, so `topic:OpenAI's` stays one word.
    if (ch === '"' || ch === '“' || (ch === "'" && (!started || text.endsWith(':')))) {
      quote = ch === '“' ? '”' : ch;
      started = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (started) tokens.push(finish(text, lastBare));
      text = '';
      started = false;
      lastBare = '';
      continue;
    }
    text += ch;
    started = true;
    lastBare = ch;
  }
  if (quote) return { error: `a ${quote} quote is not closed` };
  if (started) tokens.push(finish(text, lastBare));
  return tokens;
}

function finish(text: string, lastBare: string): Token {
  return lastBare === '?' ? { text: text.slice(0, -1), asks: true } : { text, asks: false };
}

// ─── Lines ──────────────────────────────────────────────────────────────────────────────────────

export function parseLine(line: string, commands: readonly CommandDef[]): Step {
  const trimmed = line.trim();
  if (!trimmed) return { kind: 'blank' };
  if (trimmed.startsWith('#')) return { kind: 'comment', text: trimmed };
  if (trimmed.startsWith('/')) return parseSlash(trimmed.slice(1), commands);
  const [word = '', ...restWords] = trimmed.split(/\s+/);
  const rest = restWords.join(' ');
  switch (word.toLowerCase()) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return { kind: 'quit' };
    case 'as':
      return rest ? { kind: 'as', who: rest.replace(/^@/, '').toLowerCase() } : { kind: 'error', message: 'as who? e.g. `as moderator`' };
    case 'lang':
    case 'locale':
      return { kind: 'lang', locale: rest || null };
    case 'press':
    case 'click':
      return rest ? { kind: 'press', label: unquote(rest), explicit: true } : { kind: 'error', message: 'press what? e.g. `press Next`' };
    case 'select':
    case 'pick':
      return rest ? { kind: 'select', label: unquote(rest) } : { kind: 'error', message: 'select what? e.g. `select Donations`' };
    case 'channel':
    case 'ch': {
      const m = /^#?(\S+)(?:\s+(\d+))?$/.exec(rest);
      if (!m) return { kind: 'error', message: 'which channel? e.g. `channel review` or `channel general 10`' };
      return { kind: 'channel', name: (m[1] ?? '').toLowerCase(), count: m[2] ? Number(m[2]) : null };
    }
    default:
      // Anything else is a button label: typing `Next` is the quickest way to page through.
      return { kind: 'press', label: unquote(trimmed), explicit: false };
  }
}

function unquote(s: string): string {
  const m = /^(["'“])(.*)["'”]$/.exec(s);
  return m ? (m[2] ?? '') : s;
}

function named<T extends { name: string; nameLocalizations: Record<string, string> }>(items: readonly T[], name: string): T | undefined {
  const n = name.toLowerCase();
  return items.find((i) => i.name.toLowerCase() === n) ?? items.find((i) => Object.values(i.nameLocalizations).some((l) => l.toLowerCase() === n));
}

function parseSlash(text: string, commands: readonly CommandDef[]): Step {
  const tokens = tokenize(text);
  if ('error' in tokens) return { kind: 'error', message: `could not read that line: ${tokens.error}` };
  const [first, ...rest] = tokens;
  const name = first?.text ?? '';
  if (!name) return { kind: 'error', message: `which command? ${commandList(commands)}` };
  const command = named(commands, name);
  if (!command) {
    const guess = closest(name, commands.map((c) => c.name));
    return { kind: 'error', message: `no command /${name}.${guess ? ` Did you mean /${guess}?` : ''} ${commandList(commands)}` };
  }
  const step: SlashStep = { kind: 'slash', name: command.name, options: {} };
  let defs = command.options;
  let path = `/${command.name}`;
  let i = 0;
  if (defs.some((d) => d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup)) {
    const pick = (level: OptionDef[]): OptionDef | Step => {
      const token = rest[i];
      const subs = level.filter((d) => d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup);
      const list = subs.map((s) => s.name).join(', ');
      if (!token || token.text.includes(':')) return { kind: 'error', message: `${path} needs a subcommand: ${list}.` };
      const found = named(subs, token.text);
      if (!found) return { kind: 'error', message: `${path} has no subcommand "${token.text}"; it has ${list}.` };
      i++;
      return found;
    };
    const first = pick(defs);
    if ('kind' in first) return first;
    path += ` ${first.name}`;
    if (first.type === OptionTypes.SubcommandGroup) {
      step.subcommandGroup = first.name;
      const sub = pick(first.options);
      if ('kind' in sub) return sub;
      path += ` ${sub.name}`;
      step.subcommand = sub.name;
      defs = sub.options;
    } else {
      step.subcommand = first.name;
      defs = first.options;
    }
  }
  for (const token of rest.slice(i)) {
    const colon = token.text.indexOf(':');
    if (colon <= 0) {
      return { kind: 'error', message: `expected option:value, got "${token.text}". ${usage(path, defs)}` };
    }
    const optionName = token.text.slice(0, colon);
    const raw = token.text.slice(colon + 1);
    const def = named(defs, optionName);
    if (!def) return { kind: 'error', message: `${path} has no option "${optionName}". ${usage(path, defs)}` };
    if (def.name in step.options || step.focus?.option === def.name) return { kind: 'error', message: `option ${def.name} is given twice` };
    if (token.asks) {
      if (def.autocomplete) {
        if (step.focus) return { kind: 'error', message: 'only one option can end with ? (the one you are typing)' };
        step.focus = { option: def.name, partial: raw };
        continue;
      }
      return { kind: 'info', message: `${def.name}: ${describeValues(def)}${def.description ? ` (${def.description})` : ''}` };
    }
    const value = convert(def, raw);
    if (typeof value === 'object' && 'error' in value) return { kind: 'error', message: value.error };
    step.options[def.name] = value;
  }
  if (!step.focus) {
    const missing = defs.filter((d) => d.required && !(d.name in step.options));
    if (missing.length) return { kind: 'error', message: `${path} needs ${missing.map((d) => d.name).join(', ')}. ${usage(path, defs)}` };
  }
  return step;
}

const TRUE = new Set(['true', 'yes', 'y', 'on', '1', 'oui', 'vrai']);
const FALSE = new Set(['false', 'no', 'n', 'off', '0', 'non', 'faux']);

function convert(def: OptionDef, raw: string): OptionValue | { error: string } {
  if (raw === '') return { error: `option ${def.name} needs a value: ${def.name}:${valuePlaceholder(def)}` };
  switch (def.type) {
    case OptionTypes.String:
    case OptionTypes.Integer:
    case OptionTypes.Number: {
      if (def.choices.length) {
        const r = raw.toLowerCase();
        const choice =
          def.choices.find((c) => String(c.value) === raw) ??
          def.choices.find((c) => String(c.value).toLowerCase() === r || c.name.toLowerCase() === r) ??
          def.choices.find((c) => Object.values(c.nameLocalizations).some((l) => l.toLowerCase() === r));
        if (!choice) return { error: `"${raw}" is not a choice for ${def.name}; pick one of ${describeValues(def)}` };
        return choice.value;
      }
      if (def.type === OptionTypes.String) return raw;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (def.type === OptionTypes.Integer && !Number.isInteger(n))) {
        return { error: `option ${def.name} expects ${def.type === OptionTypes.Integer ? 'a whole number' : 'a number'}, got "${raw}"` };
      }
      return n;
    }
    case OptionTypes.Boolean: {
      const r = raw.toLowerCase();
      if (TRUE.has(r)) return true;
      if (FALSE.has(r)) return false;
      return { error: `option ${def.name} is true or false, got "${raw}"` };
    }
    case OptionTypes.User:
      return { ref: 'user', text: raw };
    case OptionTypes.Channel:
      return { ref: 'channel', text: raw };
    case OptionTypes.Role:
      return { ref: 'role', text: raw };
    case OptionTypes.Mentionable:
      return { ref: 'mentionable', text: raw };
    case OptionTypes.Attachment:
      return { ref: 'file', text: raw };
    default:
      return { error: `option ${def.name} has a type (${def.type}) the sandbox cannot send` };
  }
}

// ─── Help ───────────────────────────────────────────────────────────────────────────────────────

const PLACEHOLDER: Record<number, string> = {
  [OptionTypes.String]: '<text>',
  [OptionTypes.Integer]: '<whole number>',
  [OptionTypes.Number]: '<number>',
  [OptionTypes.Boolean]: 'true|false',
  [OptionTypes.User]: '<user>',
  [OptionTypes.Channel]: '<channel>',
  [OptionTypes.Role]: '<role>',
  [OptionTypes.Mentionable]: '<user or role>',
  [OptionTypes.Attachment]: '<file path>',
};

function valuePlaceholder(def: OptionDef): string {
  if (def.choices.length) return def.choices.map((c) => String(c.value)).join('|');
  const base = PLACEHOLDER[def.type] ?? '<value>';
  return def.autocomplete ? `${base.slice(0, -1)}, end with ? for suggestions>` : base;
}

function describeValues(def: OptionDef): string {
  if (def.choices.length) return def.choices.map((c) => (String(c.value) === c.name ? c.name : `${String(c.value)} (${c.name})`)).join(', ');
  return valuePlaceholder(def);
}

export function usage(path: string, defs: readonly OptionDef[]): string {
  const parts = defs.map((d) => (d.required ? `${d.name}:${valuePlaceholder(d)}` : `[${d.name}:${valuePlaceholder(d)}]`));
  return `Usage: ${[path, ...parts].join(' ')}`;
}

/** One usage line per command or subcommand. */
export function commandUsages(commands: readonly CommandDef[]): string[] {
  const lines: string[] = [];
  const walk = (path: string, defs: readonly OptionDef[]) => {
    const nested = defs.filter((d) => d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup);
    if (nested.length === 0) lines.push(usage(path, defs).slice('Usage: '.length));
    for (const n of nested) walk(`${path} ${n.name}`, n.options);
  };
  for (const c of commands) walk(`/${c.name}`, c.options);
  return lines;
}

function commandList(commands: readonly CommandDef[]): string {
  return `Commands: ${commands.map((c) => `/${c.name}`).join(', ')} (type help for their options).`;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = candidates.filter((c) => c.startsWith(w) || w.startsWith(c));
  if (prefixed.length === 1) return prefixed[0];
  let best: { name: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(w, c);
    if (d <= 2 && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

export function helpText(commands: readonly CommandDef[], users: readonly string[], channels: readonly string[]): string[] {
  return [
    'Slash commands (checked against what the bot registered):',
    ...commandUsages(commands).map((l) => `  ${l}`),
    '  Quote values with spaces: /facts topic:"how it spread". End a value with ? to see the',
    '  suggestions or choices: /facts topic:don?   Files are read from here, or from sandbox/.',
    'Sandbox:',
    `  as ${users.join('|')}    act as another user`,
    '  lang fr | lang en-US            your Discord language for the next commands',
    '  press <label>, or just <label>  press a button on the latest message that has it (Next, Approve…)',
    '  select <option>[, <option>…]    pick options in a menu (select Donations)',
    `  channel ${channels.join('|')} [n]   the last posts you can see there`,
    '  help, quit (or Ctrl-D)',
  ];
}
