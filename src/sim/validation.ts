/**
 * Request-body validation: Discord's OpenAPI schemas (made strict, so misspelt or invented keys
 * are caught) plus the documented limits the spec leaves out or states too loosely.
 */
import * as z from 'zod/mini';
import { asArray, asNumber, asRecord, asString, isRecord, type JsonObject } from './json.js';
import type { Schema, SpecModules } from './spec.js';

export interface ViolationIssue {
  /** `schema`: Discord's OpenAPI schema; `limit`: a documented limit checked by the simulator. */
  source: 'schema' | 'limit';
  /** The zod issue code (`too_big`, `unrecognized_keys`, ...) or `custom` for limit checks. */
  code: string;
  path: (string | number)[];
  message: string;
  /** Code used in Discord's `errors` tree, e.g. BASE_TYPE_MAX_LENGTH. */
  discordCode: string;
}

/** The kinds of bodies the simulator validates, one per route family. */
export type BodyKind =
  | 'command-create'
  | 'command-bulk'
  | 'command-patch'
  | 'interaction-callback'
  | 'webhook-execute'
  | 'webhook-edit'
  | 'message-create'
  | 'message-edit'
  | 'dm-create';

const COMMAND_SCHEMAS = new Set([
  'ApplicationCommandCreateRequestSchema',
  'ApplicationCommandUpdateRequestSchema',
  'ApplicationCommandPatchRequestPartialSchema',
]);

/**
 * discord.js serialises `default_member_permissions` as a decimal string ("32"), which Discord
 * accepts; the spec says integer. This is the one spec disagreement allowed on purpose.
 */
const DefaultMemberPermissions = z.nullish(
  z.union([z.number().check(z.minimum(0)), z.string().check(z.regex(/^\d+$/))]),
);

const strictMemo = new WeakMap<Schema, Schema>();

/** Rebuilds a spec schema with every object strict (the package's `setStrictObject` only affects schemas created after it is called, i.e. none). */
export function strictify(schema: Schema): Schema {
  const cached = strictMemo.get(schema);
  if (cached) return cached;
  const def = schema._zod.def;
  let out: Schema = schema;
  switch (def.type) {
    case 'object': {
      const objectDef = def as z.core.$ZodObjectDef;
      const shape: Record<string, Schema> = {};
      for (const [key, value] of Object.entries(objectDef.shape)) {
        shape[key] = key === 'default_member_permissions' ? DefaultMemberPermissions : strictify(value);
      }
      const strictDef: z.core.$ZodObjectDef = { ...objectDef, shape, catchall: z.never() };
      out = z.clone(schema, strictDef);
      break;
    }
    case 'array': {
      const arrayDef = def as z.core.$ZodArrayDef;
      const next: z.core.$ZodArrayDef = { ...arrayDef, element: strictify(arrayDef.element) };
      out = z.clone(schema, next);
      break;
    }
    case 'union': {
      const unionDef = def as z.core.$ZodUnionDef;
      const next: z.core.$ZodUnionDef = { ...unionDef, options: unionDef.options.map(strictify) };
      out = z.clone(schema, next);
      break;
    }
    case 'optional':
    case 'nullable': {
      const wrapperDef = def as z.core.$ZodOptionalDef;
      const next: z.core.$ZodOptionalDef = { ...wrapperDef, innerType: strictify(wrapperDef.innerType) };
      out = z.clone(schema, next);
      break;
    }
    case 'lazy': {
      const lazyDef = def as z.core.$ZodLazyDef;
      // Deferred so that recursive schemas (components inside containers) do not loop.
      out = z.lazy(() => strictify(lazyDef.getter()));
      break;
    }
    case 'record': {
      const recordDef = def as z.core.$ZodRecordDef;
      const next: z.core.$ZodRecordDef = { ...recordDef, valueType: strictify(recordDef.valueType) };
      out = z.clone(schema, next);
      break;
    }
    default:
      out = schema;
  }
  strictMemo.set(schema, out);
  return out;
}

/** Adds keys that Discord documents and accepts but the OpenAPI spec omits. */
function withExtraKeys(schema: Schema, extra: Record<string, Schema>): Schema {
  const def = schema._zod.def;
  if (def.type !== 'object') return schema;
  const objectDef = def as z.core.$ZodObjectDef;
  const next: z.core.$ZodObjectDef = { ...objectDef, shape: { ...objectDef.shape, ...extra } };
  return z.clone(schema, next);
}

export class StrictSchemas {
  private readonly built = new Map<string, Schema>();

  constructor(private readonly spec: SpecModules) {}

  get(name: string): Schema {
    let schema = this.built.get(name);
    if (!schema) {
      schema = strictify(this.spec.schema(name));
      // `nsfw` is a documented command field that the spec lacks.
      if (COMMAND_SCHEMAS.has(name)) schema = withExtraKeys(schema, { nsfw: z.nullish(z.boolean()) });
      this.built.set(name, schema);
    }
    return schema;
  }
}

// ---------------------------------------------------------------------------------------------
// zod issues → violation issues

type ZodIssue = z.core.$ZodIssue;

function normalisePath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((p) => (typeof p === 'number' ? p : String(p)));
}

function describe(issue: ZodIssue): { message: string; discordCode: string } {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? { message: `Must be ${String(issue.maximum)} or fewer in length.`, discordCode: 'BASE_TYPE_MAX_LENGTH' }
        : { message: `int value should be less than or equal to ${String(issue.maximum)}.`, discordCode: 'NUMBER_TYPE_MAX' };
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array'
        ? { message: `Must be ${String(issue.minimum)} or more in length.`, discordCode: 'BASE_TYPE_MIN_LENGTH' }
        : { message: `int value should be greater than or equal to ${String(issue.minimum)}.`, discordCode: 'NUMBER_TYPE_MIN' };
    case 'invalid_type':
      return issue.input === undefined
        ? { message: 'This field is required', discordCode: 'BASE_TYPE_REQUIRED' }
        : { message: `Value must be of type ${issue.expected}.`, discordCode: 'BASE_TYPE_INVALID' };
    case 'unrecognized_keys':
      return {
        message: `Unknown field(s) not in Discord's schema: ${issue.keys.join(', ')}`,
        discordCode: 'UNKNOWN_FIELD',
      };
    case 'invalid_value':
      return {
        message: `Value must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`,
        discordCode: 'BASE_TYPE_CHOICES',
      };
    case 'invalid_format':
      return { message: `Not a well formed ${issue.format}.`, discordCode: issue.format === 'url' ? 'URL_TYPE_INVALID_URL' : 'BASE_TYPE_BAD_FORMAT' };
    default:
      return { message: issue.message, discordCode: 'BASE_TYPE_INVALID' };
  }
}

/** Lower is a better guess at which union branch the sender meant. */
function branchScore(issues: readonly ZodIssue[]): number {
  let score = issues.length;
  for (const issue of issues) {
    const last = issue.path[issue.path.length - 1];
    if (issue.path.length === 0 && issue.code === 'invalid_type') score += 1000;
    if (last === 'type' && issue.path.length === 1 && issue.code === 'invalid_value') score += 1000;
  }
  return score;
}

/** Unions report every branch's failure; keep only the branch that was evidently meant. */
export function flattenIssues(issues: readonly ZodIssue[], prefix: (string | number)[] = []): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...normalisePath(issue.path)];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      let best: readonly ZodIssue[] | undefined;
      let bestScore = Number.POSITIVE_INFINITY;
      for (const branch of issue.errors) {
        const score = branchScore(branch);
        if (score < bestScore) {
          best = branch;
          bestScore = score;
        }
      }
      if (best && bestScore < 1000) {
        out.push(...flattenIssues(best, path));
        continue;
      }
      out.push({
        source: 'schema',
        code: issue.code,
        path,
        message: 'Value does not match any allowed shape.',
        discordCode: 'UNION_TYPE_CHOICES',
      });
      continue;
    }
    out.push({ source: 'schema', code: issue.code, path, ...describe(issue) });
  }
  return out;
}

export function schemaIssues(schema: Schema, body: unknown, prefix: (string | number)[] = []): ViolationIssue[] {
  const result = z.safeParse(schema, body);
  return result.success ? [] : flattenIssues(result.error.issues, prefix);
}

/** Discord's `errors` tree: `{ embeds: { 0: { title: { _errors: [{ code, message }] } } } }`. */
export function toErrorTree(issues: readonly ViolationIssue[]): JsonObject {
  const root: JsonObject = {};
  for (const issue of issues) {
    let node: JsonObject = root;
    for (const key of issue.path) {
      const k = String(key);
      const next = node[k];
      if (isRecord(next)) node = next as JsonObject;
      else {
        const created: JsonObject = {};
        node[k] = created;
        node = created;
      }
    }
    const existing = node._errors;
    const entry: JsonObject = { code: issue.discordCode, message: issue.message };
    if (Array.isArray(existing)) existing.push(entry);
    else node._errors = [entry];
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Documented limits

function limit(path: (string | number)[], message: string, discordCode: string): ViolationIssue {
  return { source: 'limit', code: 'custom', path, message, discordCode };
}

function maxLen(out: ViolationIssue[], value: unknown, max: number, path: (string | number)[]): void {
  if (typeof value === 'string' && [...value].length > max) {
    out.push(limit(path, `Must be ${max} or fewer in length.`, 'BASE_TYPE_MAX_LENGTH'));
  }
}

export const IS_COMPONENTS_V2 = 1 << 15;
const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

function embedLength(embed: Record<string, unknown>): number {
  const len = (v: unknown): number => (typeof v === 'string' ? [...v].length : 0);
  let total = len(embed.title) + len(embed.description);
  total += len(asRecord(embed.footer).text) + len(asRecord(embed.author).name);
  for (const field of asArray(embed.fields)) {
    const f = asRecord(field);
    total += len(f.name) + len(f.value);
  }
  return total;
}

function checkEmbeds(embeds: unknown, out: ViolationIssue[]): void {
  const list = asArray(embeds);
  if (list.length > 10) out.push(limit(['embeds'], 'Must be 10 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
  let total = 0;
  list.forEach((raw, i) => {
    const embed = asRecord(raw);
    maxLen(out, embed.title, 256, ['embeds', i, 'title']);
    maxLen(out, embed.description, 4096, ['embeds', i, 'description']);
    maxLen(out, asRecord(embed.footer).text, 2048, ['embeds', i, 'footer', 'text']);
    maxLen(out, asRecord(embed.author).name, 256, ['embeds', i, 'author', 'name']);
    const fields = asArray(embed.fields);
    if (fields.length > 25) out.push(limit(['embeds', i, 'fields'], 'Must be 25 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
    fields.forEach((rawField, j) => {
      const field = asRecord(rawField);
      maxLen(out, field.name, 256, ['embeds', i, 'fields', j, 'name']);
      maxLen(out, field.value, 1024, ['embeds', i, 'fields', j, 'value']);
      for (const key of ['name', 'value'] as const) {
        if (typeof field[key] === 'string' && field[key].trim() === '') {
          out.push(limit(['embeds', i, 'fields', j, key], 'This field is required', 'BASE_TYPE_REQUIRED'));
        }
      }
    });
    total += embedLength(embed);
  });
  if (total > 6000) {
    out.push(limit(['embeds'], `Embed size exceeds maximum size of 6000 (got ${total})`, 'MAX_EMBED_SIZE_EXCEEDED'));
  }
}

function collectCustomIds(node: unknown, path: (string | number)[], seen: Map<string, (string | number)[]>, out: ViolationIssue[]): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => collectCustomIds(child, [...path, i], seen, out));
    return;
  }
  if (!isRecord(node)) return;
  const customId = asString(node.custom_id);
  if (customId !== undefined) {
    if (seen.has(customId)) {
      out.push(limit([...path, 'custom_id'], `Component custom id "${customId}" is used twice in this message`, 'COMPONENT_CUSTOM_ID_DUPLICATED'));
    } else seen.set(customId, path);
  }
  for (const key of ['components', 'accessory', 'component'] as const) {
    if (key in node) collectCustomIds(node[key], [...path, key], seen, out);
  }
}

function checkButton(button: Record<string, unknown>, path: (string | number)[], out: ViolationIssue[]): void {
  maxLen(out, button.label, 80, [...path, 'label']);
  maxLen(out, button.custom_id, 100, [...path, 'custom_id']);
  const style = asNumber(button.style);
  if (style === 5) {
    if (button.url == null) out.push(limit([...path, 'url'], 'A link button needs a url', 'BASE_TYPE_REQUIRED'));
    maxLen(out, button.url, 512, [...path, 'url']);
    if (button.custom_id != null) out.push(limit([...path, 'custom_id'], 'A link button cannot have a custom_id', 'COMPONENT_INVALID'));
  } else if (style === 6) {
    if (button.sku_id == null) out.push(limit([...path, 'sku_id'], 'A premium button needs a sku_id', 'BASE_TYPE_REQUIRED'));
  } else if (button.custom_id == null) {
    out.push(limit([...path, 'custom_id'], 'This field is required', 'BASE_TYPE_REQUIRED'));
  }
  if (style !== 6 && button.label == null && button.emoji == null) {
    out.push(limit([...path, 'label'], 'A button needs a label or an emoji', 'BASE_TYPE_REQUIRED'));
  }
}

function checkSelect(select: Record<string, unknown>, path: (string | number)[], out: ViolationIssue[]): void {
  maxLen(out, select.custom_id, 100, [...path, 'custom_id']);
  maxLen(out, select.placeholder, 150, [...path, 'placeholder']);
  const min = asNumber(select.min_values) ?? 1;
  const max = asNumber(select.max_values) ?? 1;
  if (min > max) out.push(limit([...path, 'min_values'], 'min_values must not exceed max_values', 'SELECT_COMPONENT_MIN_MAX_INVALID'));
  if (asNumber(select.type) === 3) {
    const options = asArray(select.options);
    if (options.length === 0 || options.length > 25) {
      out.push(limit([...path, 'options'], 'Must be between 1 and 25 in length.', 'BASE_TYPE_BAD_LENGTH'));
    }
    if (max > options.length) {
      out.push(limit([...path, 'max_values'], 'max_values must not exceed the number of options', 'SELECT_COMPONENT_MIN_MAX_INVALID'));
    }
    options.forEach((raw, i) => {
      const option = asRecord(raw);
      maxLen(out, option.label, 100, [...path, 'options', i, 'label']);
      maxLen(out, option.value, 100, [...path, 'options', i, 'value']);
      maxLen(out, option.description, 100, [...path, 'options', i, 'description']);
    });
  }
}

function checkComponents(components: unknown, flags: number, out: ViolationIssue[]): void {
  if (components == null) return;
  const list = asArray(components);
  collectCustomIds(list, ['components'], new Map(), out);
  if (flags & IS_COMPONENTS_V2) return;
  if (list.length > 5) out.push(limit(['components'], 'Must be 5 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
  list.forEach((raw, i) => {
    const row = asRecord(raw);
    if (asNumber(row.type) !== 1) {
      out.push(limit(['components', i, 'type'], 'Top-level components must be action rows unless the IS_COMPONENTS_V2 flag is set', 'COMPONENT_LAYOUT_INVALID'));
      return;
    }
    const children = asArray(row.components);
    if (children.length === 0 || children.length > 5) {
      out.push(limit(['components', i, 'components'], 'Must be between 1 and 5 in length.', 'BASE_TYPE_BAD_LENGTH'));
    }
    const hasSelect = children.some((c) => SELECT_TYPES.has(asNumber(asRecord(c).type) ?? -1));
    if (hasSelect && children.length > 1) {
      out.push(limit(['components', i, 'components'], 'A select menu must be alone in its action row', 'COMPONENT_LAYOUT_WIDTH_EXCEEDED'));
    }
    children.forEach((rawChild, j) => {
      const child = asRecord(rawChild);
      const type = asNumber(child.type);
      const path = ['components', i, 'components', j];
      if (type === 2) checkButton(child, path, out);
      else if (type !== undefined && SELECT_TYPES.has(type)) checkSelect(child, path, out);
    });
  });
}

export interface MessageCheckOptions {
  /** Bot accounts may send 2000 characters; the spec's 4000 is for Nitro users. */
  contentMax?: number;
}

/** Limits for message-shaped payloads (channel messages, replies, follow-ups, edits). */
export function messageLimitIssues(payload: Record<string, unknown>, options: MessageCheckOptions = {}): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  maxLen(out, payload.content, options.contentMax ?? 2000, ['content']);
  if (payload.embeds != null) checkEmbeds(payload.embeds, out);
  const flags = asNumber(payload.flags) ?? 0;
  checkComponents(payload.components, flags, out);
  if (flags & IS_COMPONENTS_V2) {
    if (typeof payload.content === 'string' && payload.content !== '') {
      out.push(limit(['content'], 'content cannot be used with the IS_COMPONENTS_V2 flag', 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2'));
    }
    if (asArray(payload.embeds).length > 0) {
      out.push(limit(['embeds'], 'embeds cannot be used with the IS_COMPONENTS_V2 flag', 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2'));
    }
  }
  const nonce = payload.nonce;
  if (typeof nonce === 'string') maxLen(out, nonce, 25, ['nonce']);
  return out;
}

export function autocompleteLimitIssues(data: Record<string, unknown>): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  const choices = asArray(data.choices);
  if (choices.length > 25) out.push(limit(['data', 'choices'], 'Must be 25 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
  choices.forEach((raw, i) => {
    const choice = asRecord(raw);
    const name = asString(choice.name);
    if (name === undefined || name.length === 0) out.push(limit(['data', 'choices', i, 'name'], 'Must be between 1 and 100 in length.', 'BASE_TYPE_BAD_LENGTH'));
    maxLen(out, choice.name, 100, ['data', 'choices', i, 'name']);
    maxLen(out, choice.value, 100, ['data', 'choices', i, 'value']);
  });
  return out;
}

export function modalLimitIssues(data: Record<string, unknown>): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  collectCustomIds(data.components, ['data', 'components'], new Map(), out);
  const inputs: Record<string, unknown>[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isRecord(node)) {
      if (asNumber(node.type) === 4) inputs.push(node);
      if ('components' in node) walk(node.components);
      if ('component' in node) walk(node.component);
    }
  };
  walk(data.components);
  for (const input of inputs) {
    const min = asNumber(input.min_length);
    const max = asNumber(input.max_length);
    if (min !== undefined && max !== undefined && min > max) {
      out.push(limit(['data', 'components'], `Text input ${String(input.custom_id)}: min_length exceeds max_length`, 'TEXT_INPUT_LENGTH_INVALID'));
    }
  }
  return out;
}

// --- application commands ---------------------------------------------------------------------

export const DISCORD_LOCALES = new Set([
  'id', 'da', 'de', 'en-GB', 'en-US', 'es-ES', 'es-419', 'fr', 'hr', 'it', 'lt', 'hu', 'nl', 'no', 'pl',
  'pt-BR', 'ro', 'fi', 'sv-SE', 'vi', 'tr', 'cs', 'el', 'bg', 'ru', 'uk', 'hi', 'th', 'zh-CN', 'ja', 'zh-TW', 'ko',
]);

const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkLocalizations(value: unknown, path: (string | number)[], out: ViolationIssue[]): void {
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    if (!DISCORD_LOCALES.has(key)) out.push(limit([...path, key], `"${key}" is not a Discord locale`, 'LOCALE_INVALID'));
  }
}

function checkChatInputName(name: unknown, path: (string | number)[], out: ViolationIssue[]): void {
  if (typeof name !== 'string') return;
  if (!CHAT_INPUT_NAME.test(name)) {
    out.push(limit(path, 'Command and option names must be 1-32 letters, digits, - or _', 'APPLICATION_COMMAND_INVALID_NAME'));
  } else if (name !== name.toLowerCase()) {
    out.push(limit(path, 'Command and option names must be lowercase', 'APPLICATION_COMMAND_INVALID_NAME'));
  }
}

function checkDescription(value: unknown, path: (string | number)[], out: ViolationIssue[]): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 100) {
    out.push(limit(path, 'Must be between 1 and 100 in length.', 'BASE_TYPE_BAD_LENGTH'));
  }
}

const SUBCOMMAND = 1;
const SUBCOMMAND_GROUP = 2;

function checkOptions(options: unknown, path: (string | number)[], depth: 'command' | 'group' | 'subcommand', out: ViolationIssue[]): number {
  const list = asArray(options);
  let size = 0;
  if (list.length > 25) out.push(limit(path, 'Must be 25 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
  const names = new Set<string>();
  const types = list.map((o) => asNumber(asRecord(o).type) ?? 0);
  const nested = types.filter((t) => t === SUBCOMMAND || t === SUBCOMMAND_GROUP).length;
  if (nested > 0 && nested < list.length) {
    out.push(limit(path, 'A command cannot mix subcommands or groups with other options', 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID'));
  }
  let sawOptional = false;
  list.forEach((raw, i) => {
    const option = asRecord(raw);
    const p = [...path, i];
    const type = types[i] ?? 0;
    checkChatInputName(option.name, [...p, 'name'], out);
    checkDescription(option.description, [...p, 'description'], out);
    checkLocalizations(option.name_localizations, [...p, 'name_localizations'], out);
    checkLocalizations(option.description_localizations, [...p, 'description_localizations'], out);
    const name = asString(option.name) ?? '';
    size += name.length + (asString(option.description)?.length ?? 0);
    if (names.has(name)) out.push(limit([...p, 'name'], `Option name "${name}" is used twice`, 'APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS'));
    names.add(name);
    if (depth === 'group' && type !== SUBCOMMAND) {
      out.push(limit([...p, 'type'], 'A subcommand group may only contain subcommands', 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID'));
    }
    if (depth === 'subcommand' && (type === SUBCOMMAND || type === SUBCOMMAND_GROUP)) {
      out.push(limit([...p, 'type'], 'Subcommands cannot be nested in a subcommand', 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID'));
    }
    if (type === SUBCOMMAND || type === SUBCOMMAND_GROUP) {
      size += checkOptions(option.options, [...p, 'options'], type === SUBCOMMAND_GROUP ? 'group' : 'subcommand', out);
      return;
    }
    if (option.required === true && sawOptional) {
      out.push(limit([...p, 'required'], 'Required options must be placed before non-required options', 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID'));
    }
    if (option.required !== true) sawOptional = true;
    const choices = asArray(option.choices);
    if (choices.length > 0 && option.autocomplete === true) {
      out.push(limit([...p, 'autocomplete'], 'Autocomplete cannot be set with choices', 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID'));
    }
    if (choices.length > 25) out.push(limit([...p, 'choices'], 'Must be 25 or fewer in length.', 'BASE_TYPE_MAX_LENGTH'));
    choices.forEach((rawChoice, j) => {
      const choice = asRecord(rawChoice);
      maxLen(out, choice.name, 100, [...p, 'choices', j, 'name']);
      maxLen(out, choice.value, 100, [...p, 'choices', j, 'value']);
      checkLocalizations(choice.name_localizations, [...p, 'choices', j, 'name_localizations'], out);
      size += (asString(choice.name)?.length ?? 0) + String(choice.value ?? '').length;
    });
    const minValue = asNumber(option.min_value);
    const maxValue = asNumber(option.max_value);
    if (minValue !== undefined && maxValue !== undefined && minValue > maxValue) {
      out.push(limit([...p, 'min_value'], 'min_value must not exceed max_value', 'NUMBER_TYPE_MIN'));
    }
    const minLength = asNumber(option.min_length);
    const maxLength = asNumber(option.max_length);
    if (minLength !== undefined && maxLength !== undefined && minLength > maxLength) {
      out.push(limit([...p, 'min_length'], 'min_length must not exceed max_length', 'BASE_TYPE_MIN_LENGTH'));
    }
  });
  return size;
}

/** Limits for one command definition (as in POST, PATCH or one element of a bulk PUT). */
export function commandLimitIssues(command: Record<string, unknown>, path: (string | number)[] = [], partial = false): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  const type = asNumber(command.type) ?? 1;
  if (type === 1) {
    if (!partial || 'name' in command) checkChatInputName(command.name, [...path, 'name'], out);
    if (!partial || 'description' in command) checkDescription(command.description, [...path, 'description'], out);
    const size = checkOptions(command.options, [...path, 'options'], 'command', out);
    const total = (asString(command.name)?.length ?? 0) + (asString(command.description)?.length ?? 0) + size;
    if (total > 4000) out.push(limit(path.length ? path : ['name'], `Command is ${total} characters; the limit is 4000`, 'APPLICATION_COMMAND_TOO_LARGE'));
  } else {
    if (typeof command.description === 'string' && command.description !== '') {
      out.push(limit([...path, 'description'], 'Context menu commands cannot have a description', 'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION'));
    }
    if (command.options != null && asArray(command.options).length > 0) {
      out.push(limit([...path, 'options'], 'Context menu commands cannot have options', 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID'));
    }
  }
  checkLocalizations(command.name_localizations, [...path, 'name_localizations'], out);
  checkLocalizations(command.description_localizations, [...path, 'description_localizations'], out);
  return out;
}

const PER_TYPE_LIMIT: Record<number, number> = { 1: 100, 2: 15, 3: 15 };

export function bulkCommandLimitIssues(commands: unknown[]): ViolationIssue[] {
  const out: ViolationIssue[] = [];
  const seen = new Set<string>();
  const counts = new Map<number, number>();
  commands.forEach((raw, i) => {
    const command = asRecord(raw);
    out.push(...commandLimitIssues(command, [i]));
    const type = asNumber(command.type) ?? 1;
    counts.set(type, (counts.get(type) ?? 0) + 1);
    const key = `${type}:${asString(command.name) ?? ''}`;
    if (seen.has(key)) out.push(limit([i, 'name'], `Application command names must be unique (${String(command.name)})`, 'APPLICATION_COMMANDS_DUPLICATE_NAME'));
    seen.add(key);
  });
  for (const [type, count] of counts) {
    const max = PER_TYPE_LIMIT[type];
    if (max !== undefined && count > max) out.push(limit([], `At most ${max} commands of type ${type}`, 'APPLICATION_COMMANDS_TOO_MANY'));
  }
  return out;
}

// --- mentions ---------------------------------------------------------------------------------

const MENTION_PATTERN = /@everyone|@here|<@[!&]?\d+>/g;

/**
 * Mentions in `content` that would ping somebody given the `allowed_mentions` sent
 * (absent = Discord's default of parsing everything).
 */
export function riskyMentions(content: unknown, allowedMentions: unknown): string[] {
  if (typeof content !== 'string') return [];
  const found = content.match(MENTION_PATTERN);
  if (!found) return [];
  if (allowedMentions === undefined || allowedMentions === null) return [...new Set(found)];
  const parse = asArray(asRecord(allowedMentions).parse);
  return parse.length > 0 ? [...new Set(found)] : [];
}

// --- tolerated extras -------------------------------------------------------------------------

/** Top-level keys an object schema (or any branch of a union of them) accepts. */
export function shapeKeys(schema: Schema): Set<string> {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object':
      return new Set(Object.keys((def as z.core.$ZodObjectDef).shape));
    case 'union':
      return new Set((def as z.core.$ZodUnionDef).options.flatMap((o) => [...shapeKeys(o)]));
    case 'optional':
    case 'nullable':
      return shapeKeys((def as z.core.$ZodOptionalDef).innerType);
    case 'lazy':
      return shapeKeys((def as z.core.$ZodLazyDef).getter());
    default:
      return new Set();
  }
}

/**
 * discord.js's MessagePayload always serialises `tts` and `enforce_nonce` as booleans, also on
 * routes whose schema lacks them (webhook edits, interaction responses). Discord ignores them, so
 * they are dropped before validation, but only while they carry the inert value `false`.
 */
export function dropInertKeys(payload: Record<string, unknown>, accepted: ReadonlySet<string>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...payload };
  for (const key of ['tts', 'enforce_nonce'] as const) {
    if (!accepted.has(key) && copy[key] === false) delete copy[key];
  }
  return copy;
}

export function dedupeIssues(issues: ViolationIssue[]): ViolationIssue[] {
  // A limit check that restates what the schema already reported at the same path adds nothing.
  const schemaPaths = new Set(issues.filter((i) => i.source === 'schema').map((i) => i.path.join('.')));
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const path = issue.path.join('.');
    if (issue.source === 'limit' && schemaPaths.has(path)) return false;
    const key = `${path}|${issue.discordCode}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function prefixed(issues: ViolationIssue[], prefix: (string | number)[]): ViolationIssue[] {
  return prefix.length === 0 ? issues : issues.map((i) => ({ ...i, path: [...prefix, ...i.path] }));
}

const CALLBACK_SCHEMAS: Record<number, string> = {
  1: 'PongInteractionCallbackRequestSchema',
  4: 'CreateMessageInteractionCallbackRequestSchema',
  5: 'CreateMessageInteractionCallbackRequestSchema',
  6: 'UpdateMessageInteractionCallbackRequestSchema',
  7: 'UpdateMessageInteractionCallbackRequestSchema',
  8: 'ApplicationCommandAutocompleteCallbackRequestSchema',
  9: 'ModalInteractionCallbackRequestSchema',
  12: 'LaunchActivityInteractionCallbackRequestSchema',
};

const CALLBACK_DATA_SCHEMAS: Record<number, string> = {
  4: 'IncomingWebhookInteractionRequestSchema',
  5: 'IncomingWebhookInteractionRequestSchema',
  6: 'IncomingWebhookUpdateForInteractionCallbackRequestPartialSchema',
  7: 'IncomingWebhookUpdateForInteractionCallbackRequestPartialSchema',
};

/** Bodies remembered by BodyValidator per route family; a bot sends few distinct answers, many times over. */
const VERDICT_CACHE_SIZE = 512;

/** Maps each validated route family to Discord's schema for it, plus the simulator's limit checks. */
export class BodyValidator {
  private webhookExecute: Schema | undefined;
  /**
   * Verdicts by route family and exact body text. Validation is a pure function of the two, and
   * zod over Discord's schemas costs the simulator more than everything else it does for an answer:
   * under load the simulator (one thread, sharing the machine's cores with the bot) would otherwise
   * bound the benchmarks' throughput by the size of the bot's answers, not by the bot.
   */
  private readonly verdicts = new Map<BodyKind, Map<string, readonly ViolationIssue[]>>();

  constructor(private readonly schemas: StrictSchemas) {}

  private check(name: string, body: unknown, prefix: (string | number)[] = []): ViolationIssue[] {
    const schema = this.schemas.get(name);
    const value = isRecord(body) ? dropInertKeys(body, shapeKeys(schema)) : body;
    return schemaIssues(schema, value, prefix);
  }

  /**
   * validate() for a body JSON.parse produced (a request's): its JSON text is then the whole body,
   * so equal texts get the remembered verdict. Other values (undefined members, a builder's output)
   * can differ from their text and go through validate(). `bodyText`, the text the body was parsed
   * from, saves serializing it again (a verdict is a function of that text as much as of the body).
   */
  validateParsed(kind: BodyKind, body: unknown, bodyText?: string): ViolationIssue[] {
    const text = bodyText ?? JSON.stringify(body);
    if (text === undefined) return this.validate(kind, body);
    // Keyed by the text itself, per family: a body from ParsedJsonCache comes with the same string
    // instance each time, whose hash V8 keeps, so a repeat costs no rehash of a concatenated key.
    let byText = this.verdicts.get(kind);
    if (!byText) this.verdicts.set(kind, (byText = new Map()));
    let verdict = byText.get(text);
    if (verdict === undefined) {
      verdict = this.validate(kind, body);
      if (byText.size >= VERDICT_CACHE_SIZE) byText.delete(byText.keys().next().value as string);
      byText.set(text, verdict);
    }
    // A copy: callers add route-specific issues (file counts) to the list they get.
    return [...verdict];
  }

  /** Discord's verdict on `body` for a route family: every schema and limit issue, [] when valid. */
  validate(kind: BodyKind, body: unknown): ViolationIssue[] {
    const record = asRecord(body);
    let issues: ViolationIssue[];
    switch (kind) {
      case 'command-create':
        issues = [...this.check('ApplicationCommandCreateRequestSchema', body), ...commandLimitIssues(record)];
        break;
      case 'command-patch':
        issues = [...this.check('ApplicationCommandPatchRequestPartialSchema', body), ...commandLimitIssues(record, [], true)];
        break;
      case 'command-bulk': {
        if (!Array.isArray(body)) {
          issues = [limit([], 'Expected an array of commands', 'BASE_TYPE_INVALID')];
          break;
        }
        issues = body.flatMap((command, i) => this.check('ApplicationCommandUpdateRequestSchema', command, [i]));
        issues.push(...bulkCommandLimitIssues(body));
        break;
      }
      case 'interaction-callback':
        issues = this.validateCallback(record, body);
        break;
      case 'webhook-execute': {
        this.webhookExecute ??= z.union([
          this.schemas.get('IncomingWebhookRequestPartialSchema'),
          this.schemas.get('IncomingWebhookUpdateRequestPartialSchema'),
        ]);
        const value = dropInertKeys(record, shapeKeys(this.webhookExecute));
        issues = [...schemaIssues(this.webhookExecute, isRecord(body) ? value : body), ...messageLimitIssues(record)];
        break;
      }
      case 'webhook-edit':
        issues = [...this.check('IncomingWebhookUpdateRequestPartialSchema', body), ...messageLimitIssues(record)];
        break;
      case 'message-create':
        issues = [...this.check('MessageCreateRequestSchema', body), ...messageLimitIssues(record)];
        break;
      case 'message-edit':
        issues = [...this.check('MessageEditRequestPartialSchema', body), ...messageLimitIssues(record)];
        break;
      case 'dm-create':
        issues = this.check('CreatePrivateChannelRequestSchema', body);
        break;
    }
    return dedupeIssues(issues);
  }

  private validateCallback(record: Record<string, unknown>, body: unknown): ViolationIssue[] {
    const type = asNumber(record.type);
    const schemaName = type === undefined ? undefined : CALLBACK_SCHEMAS[type];
    if (type === undefined || schemaName === undefined) {
      return [limit(['type'], `Value must be one of ${Object.keys(CALLBACK_SCHEMAS).join(', ')}.`, 'BASE_TYPE_CHOICES')];
    }
    const dataSchema = CALLBACK_DATA_SCHEMAS[type];
    let value: unknown = body;
    if (dataSchema && isRecord(record.data)) {
      value = { ...record, data: dropInertKeys(record.data, shapeKeys(this.schemas.get(dataSchema))) };
    }
    const issues = schemaIssues(this.schemas.get(schemaName), value);
    const data = asRecord(record.data);
    if (type === 4 || type === 7) issues.push(...prefixed(messageLimitIssues(data), ['data']));
    if (type === 8) issues.push(...autocompleteLimitIssues(data));
    if (type === 9) issues.push(...modalLimitIssues(data));
    return issues;
  }
}
