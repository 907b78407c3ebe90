// Turns a simulator message into plain lines a person can read in a terminal. Pure: everything
// that depends on the world (names of users, channels, roles; the current time) comes in `options`,
// so tests can pin it and the transcript in docs/sandbox.md stays reproducible.
import type { ComponentView, EmbedView, SimAttachment, SimMessage } from '../sim/index.js';

export type NameLookup = (id: string) => string | undefined;

export type RenderOptions = {
  /** Channel name (without `#`) for the header; the channel id is shown when missing. */
  channelName?: string;
  /** The message is in a DM with the bot. */
  dm?: boolean;
  /** The message was shown before and has changed since. */
  edited?: boolean;
  users?: NameLookup;
  channels?: NameLookup;
  roles?: NameLookup;
  /** Milliseconds since the epoch, for `<t:…:R>`; relative timestamps show as dates without it. */
  now?: number;
};

const EPHEMERAL = 1 << 6;
const ComponentTypes = {
  ActionRow: 1,
  Button: 2,
  StringSelect: 3,
  TextInput: 4,
  UserSelect: 5,
  RoleSelect: 6,
  MentionableSelect: 7,
  ChannelSelect: 8,
  Section: 9,
  TextDisplay: 10,
  Thumbnail: 11,
  MediaGallery: 12,
  File: 13,
  Separator: 14,
  Container: 17,
} as const;
const LINK_STYLE = 5;

/** The header and body of one message, body lines indented under the header. */
export function renderMessage(message: SimMessage, options: RenderOptions = {}): string[] {
  const body = [
    ...(message.content ? formatText(message.content, options) : []),
    ...message.embeds.flatMap((e) => renderEmbed(e, options)),
    ...renderComponents(message.components, options),
    ...message.attachments.map(renderAttachment),
  ];
  if (message.deleted) body.unshift('(deleted)');
  if (body.length === 0) body.push('(empty message)');
  return [header(message, options), ...body.map((l) => `  ${l}`)];
}

export function header(message: SimMessage, options: RenderOptions = {}): string {
  const author = authorName(message);
  const edited = options.edited ? ' (updated)' : '';
  if (message.flags & EPHEMERAL) return `[only you] ${author}${edited} →`;
  if (options.dm) return `[DM] ${author}${edited}:`;
  return `[#${options.channelName ?? message.channel_id}] ${author}${edited}:`;
}

function authorName(message: SimMessage): string {
  if (message.author.bot === true) return 'bot';
  const name = message.author.global_name ?? message.author.username;
  return typeof name === 'string' ? name : 'someone';
}

// ─── Text ───────────────────────────────────────────────────────────────────────────────────────

// Escaped characters are parked in the private-use area while formatting is stripped, so `\*` stays
// a literal star instead of opening an italic span.
const PARK = 0xe000;
const park = (s: string) => s.replace(/\\([\\*_~`|>#[\]()<@:-])/g, (_, ch: string) => String.fromCharCode(PARK + ch.charCodeAt(0)));
const unpark = (s: string) => s.replace(/[\ue000-\ue0ff]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - PARK));
// The bot breaks up `@` and `<` in member-typed text with zero-width spaces so they cannot ping;
// they are dropped only after mentions were parsed, so such text never shows as a mention here.
const visible = (s: string) => unpark(s).replace(/\u200b/g, '');

/** Discord markdown to plain lines: formatting dropped, mentions named, timestamps as dates, links spelled out. */
export function formatText(text: string, options: RenderOptions = {}): string[] {
  const lines = park(text).split('\n');
  const out: string[] = [];
  let inQuoteBlock = false;
  let inCode = false;
  for (const raw of lines) {
    if (/^```/.test(raw.trim())) {
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      out.push(`  ${visible(raw)}`);
      continue;
    }
    let line = raw;
    let prefix = '';
    if (inQuoteBlock) prefix = '│ ';
    else if (line.startsWith('>>> ')) {
      inQuoteBlock = true;
      prefix = '│ ';
      line = line.slice(4);
    } else if (line.startsWith('> ') || line === '>') {
      prefix = '│ ';
      line = line.slice(2);
    }
    if (line.startsWith('-# ')) {
      prefix += '  ';
      line = line.slice(3);
    } else {
      const heading = /^#{1,3} (.*)$/.exec(line);
      if (heading) line = heading[1] ?? '';
    }
    out.push(visible(prefix + inline(line, options)));
  }
  return out;
}

function inline(text: string, options: RenderOptions): string {
  return text
    .replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (_, s: string, style: string | undefined) => formatTimestamp(Number(s), style, options.now))
    .replace(/<@!?(\d+)>/g, (_, id: string) => `@${options.users?.(id) ?? id}`)
    .replace(/<@&(\d+)>/g, (_, id: string) => `@${options.roles?.(id) ?? id}`)
    .replace(/<#(\d+)>/g, (_, id: string) => `#${options.channels?.(id) ?? id}`)
    .replace(/<a?:(\w+):\d+>/g, ':$1:')
    .replace(/<\/([\w\- ]+):\d+>/g, '/$1')
    .replace(/\[([^\]]+)\]\(<?(https?:\/\/[^)>\s]+)>?\)/g, (_, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/<(https?:\/\/[^>\s]+)>/g, '$1')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/__(.+?)__/g, '$1')
    .replace(/~~(.+?)~~/g, '$1')
    .replace(/\|\|(.+?)\|\|/g, '$1')
    .replace(/(^|[^\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\*)/g, '$1$2')
    .replace(/(^|\W)_(?!\s)(.+?)(?<!\s)_(?!\w)/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** UTC, so a transcript reads the same on every machine. */
export function formatTimestamp(seconds: number, style: string | undefined, now?: number): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return `<t:${seconds}>`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  switch (style) {
    case 't':
      return `${time} UTC`;
    case 'T':
      return `${time}:${pad(d.getUTCSeconds())} UTC`;
    case 'd':
    case 'D':
      return date;
    case 'R':
      return now === undefined ? `${date} ${time} UTC` : relative(seconds * 1000 - now);
    default:
      return `${date} ${time} UTC`;
  }
}

function relative(deltaMs: number): string {
  const units: [string, number][] = [
    ['year', 365 * 86_400_000],
    ['month', 30 * 86_400_000],
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  const abs = Math.abs(deltaMs);
  const [unit, size] = units.find(([, ms]) => abs >= ms) ?? ['second', 1000];
  const n = Math.round(abs / size);
  const amount = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return deltaMs < 0 ? `${amount} ago` : `in ${amount}`;
}

// ─── Embeds ─────────────────────────────────────────────────────────────────────────────────────

const BAR = '┃ ';

export function renderEmbed(embed: EmbedView, options: RenderOptions = {}): string[] {
  const lines: string[] = [];
  const text = (s: string) => formatText(s, options);
  if (embed.author?.name) lines.push(...text(embed.author.name));
  if (embed.title) {
    const [first = '', ...rest] = text(embed.title);
    lines.push(embed.url ? `${first} (${embed.url})` : first, ...rest);
  }
  if (embed.description) lines.push(...text(embed.description));
  for (const field of embed.fields ?? []) {
    const [first = '', ...rest] = text(field.value);
    lines.push(`${text(field.name).join(' ')}: ${first}`, ...rest.map((l) => `  ${l}`));
  }
  if (embed.image?.url) lines.push(`[image: ${fileName(embed.image.url)}]`);
  if (embed.thumbnail?.url) lines.push(`[thumbnail: ${fileName(embed.thumbnail.url)}]`);
  const footer = [embed.footer?.text ? text(embed.footer.text).join(' ') : null, embed.timestamp ? isoDate(embed.timestamp) : null].filter(Boolean);
  if (footer.length) lines.push(`— ${footer.join(' · ')}`);
  return lines.map((l) => `${BAR}${l}`);
}

function isoDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatTimestamp(Math.floor(ms / 1000), 'f');
}

/** `attachment://x.png` and CDN URLs alike name the file by its last path segment. */
export function fileName(url: string): string {
  if (url.startsWith('attachment://')) return url.slice('attachment://'.length);
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    return last ? decodeURIComponent(last) : url;
  } catch {
    return url;
  }
}

// ─── Components ─────────────────────────────────────────────────────────────────────────────────

export function renderComponents(components: readonly ComponentView[], options: RenderOptions = {}): string[] {
  return components.flatMap((c) => renderComponent(c, options));
}

function renderComponent(c: ComponentView, options: RenderOptions): string[] {
  switch (c.type) {
    case ComponentTypes.ActionRow: {
      const parts = (c.components ?? []).map(inlineComponent);
      return parts.length ? [parts.join(' ')] : [];
    }
    case ComponentTypes.TextDisplay:
      return typeof c.content === 'string' ? formatText(c.content, options) : [];
    case ComponentTypes.Section:
      return [...renderComponents(c.components ?? [], options), ...(c.accessory ? [inlineComponent(c.accessory)] : [])];
    case ComponentTypes.Container:
      return renderComponents(c.components ?? [], options).map((l) => `${BAR}${l}`);
    case ComponentTypes.Separator:
      return ['────────'];
    case ComponentTypes.MediaGallery:
      return mediaItems(c).map((url) => `[image: ${fileName(url)}]`);
    case ComponentTypes.File:
      return mediaItems(c).map((url) => `[file: ${fileName(url)}]`);
    default:
      return [inlineComponent(c)];
  }
}

function mediaItems(c: ComponentView): string[] {
  const urlOf = (v: unknown): string | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const media = 'media' in v ? v.media : 'file' in v ? v.file : v;
    return typeof media === 'object' && media !== null && 'url' in media && typeof media.url === 'string' ? media.url : undefined;
  };
  const items = Array.isArray(c.items) ? c.items : [c];
  return items.map(urlOf).filter((u): u is string => u !== undefined);
}

const SELECT_KIND: Record<number, string> = {
  [ComponentTypes.UserSelect]: 'a user',
  [ComponentTypes.RoleSelect]: 'a role',
  [ComponentTypes.MentionableSelect]: 'a user or role',
  [ComponentTypes.ChannelSelect]: 'a channel',
};

export function inlineComponent(c: ComponentView): string {
  if (c.type === ComponentTypes.Button) {
    const label = buttonLabel(c);
    if (c.style === LINK_STYLE) return `[${label} ↗ ${c.url ?? ''}]`;
    return c.disabled ? `[(${label})]` : `[${label}]`;
  }
  if (c.type === ComponentTypes.StringSelect) {
    const options = (c.options ?? []).map((o) => (o.default ? `${o.label} ✓` : o.label));
    const several = (c.max_values ?? 1) > 1 ? ` (pick up to ${c.max_values ?? 1})` : '';
    const inner = `${c.placeholder ?? 'Select'}${several}: ${options.join(' | ')}`;
    return c.disabled ? `<(${inner})>` : `<${inner}>`;
  }
  const kind = SELECT_KIND[c.type];
  if (kind) return `<${c.placeholder ?? 'Select'}: ${kind}>`;
  if (c.type === ComponentTypes.Thumbnail) return mediaItems(c).map((u) => `[thumbnail: ${fileName(u)}]`).join(' ');
  return `[component type ${c.type}]`;
}

export function buttonLabel(c: ComponentView): string {
  const emoji = c.emoji;
  const emojiName = typeof emoji === 'object' && emoji !== null && 'name' in emoji && typeof emoji.name === 'string' ? emoji.name : '';
  return [emojiName, c.label ?? ''].filter(Boolean).join(' ') || '(no label)';
}

// ─── Attachments ────────────────────────────────────────────────────────────────────────────────

export function renderAttachment(a: Pick<SimAttachment, 'filename' | 'size' | 'content_type'>): string {
  return `📎 ${a.filename} (${a.content_type ? `${a.content_type}, ` : ''}${formatSize(a.size)})`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
