// Makes text that a member typed safe to echo in a bot message: it cannot ping, cannot format,
// cannot hide or reorder characters, and fits the space given. Messages should still be sent with
// allowedMentions: { parse: [] }; this is the second lock, for text that ends up in embeds, logs,
// or places where that option is forgotten.
//
// The output is meant for ordinary message/embed text. Inside a code block, backslash escapes show
// literally, so do not put the result there.

export const ELLIPSIS = '…';
const ZWSP = '\u200B';

// Bounds the work done on absurd inputs (a 10 MB "name"): nothing we display is anywhere near this.
const MAX_SCAN = 100_000;
// Real text stacks at most a few combining marks on one letter; more is "zalgo" that paints over
// neighbouring lines.
const MAX_COMBINING_MARKS = 8;
export const DEFAULT_MAX_LINES = 20;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAKS = /\r\n?|[\u000B\u000C\u0085\u2028\u2029]/g;
// C0/C1 controls except \n (tabs become spaces first), and DEL.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;
// Bidi embeddings, overrides and isolates (the "Trojan Source" characters) and the implicit marks.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// Invisible characters used to dodge filters, spoof mentions or make blank names: zero-width space,
// word joiner, invisible operators, BOM, soft hyphen, Hangul fillers, interlinear annotations.
const INVISIBLE = /[\u00AD\u034F\u115F\u1160\u180E\u200B\u2060-\u2064\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]/g;
// Unicode tag characters (U+E0000–E007F) can smuggle invisible ASCII. Their one legitimate use,
// subdivision flags, degrades to a plain black flag.
const TAGS = /\uDB40[\uDC00-\uDC7F]/g;
// ZWJ/ZWNJ are kept (emoji sequences, Persian, Indic scripts) but never occur twice in a row in real
// text, nor at the start of it.
const JOINER_RUN = /[\u200C\u200D]{2,}/g;
const LEADING_JOINERS = /^[\u200C\u200D]+/gm;
const COMBINING_FLOOD = new RegExp(`(\\p{M}{${MAX_COMBINING_MARKS}})\\p{M}+`, 'gu');

/** Removes characters that are invisible, reorder text, or are not valid UTF-16. */
export function stripInvisible(text: string): string {
  return text
    .replace(LONE_SURROGATE, '')
    .replace(LINE_BREAKS, '\n')
    .replace(/\t/g, ' ')
    .replace(CONTROL, '')
    .replace(BIDI, '')
    .replace(INVISIBLE, '')
    .replace(TAGS, '')
    .replace(JOINER_RUN, '')
    .replace(LEADING_JOINERS, '')
    .replace(COMBINING_FLOOD, '$1');
}

/** Trims lines, keeps at most one blank line in a row, and folds lines beyond `maxLines` into the last one. */
export function collapseLines(text: string, maxLines = DEFAULT_MAX_LINES): string {
  const lines = text.split('\n').map((line) => line.trimEnd());
  const kept: string[] = [];
  for (const line of lines) {
    if (line.trim() === '' && (kept.length === 0 || kept[kept.length - 1] === '')) continue;
    kept.push(line.trim() === '' ? '' : line);
  }
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  const limit = Math.max(1, Math.floor(maxLines));
  if (kept.length <= limit) return kept.join('\n');
  const tail = kept
    .slice(limit - 1)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  return [...kept.slice(0, limit - 1), tail].join('\n');
}

/** Backslash-escapes Discord markdown: emphasis, code, spoilers, masked links, and line-start blocks (quotes, headings, subtext, lists). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|[\]]/g, '\\$&')
    .replace(/^( *)(?:(\d+)\.|([>#+-]))/gm, (_match, indent: string, digits: string | undefined, mark: string | undefined) =>
      digits !== undefined ? `${indent}${digits}\\.` : `${indent}\\${mark ?? ''}`,
    );
}

/** Breaks @everyone, @here and <@user>, <@!user>, <@&role>, <#channel> with a zero-width space, so they render but never ping or link. */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(everyone|here)/gi, `@${ZWSP}$1`).replace(/<([@#])/g, `<$1${ZWSP}`);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts to at most `max` UTF-16 units, on a grapheme boundary, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < ELLIPSIS.length) return '';
  const budget = max - ELLIPSIS.length;
  let end = 0;
  // Look a little past the budget so the last whole grapheme is recognised as whole.
  for (const { segment, index } of graphemes.segment(text.slice(0, budget + 64))) {
    if (index + segment.length > budget) break;
    end = index + segment.length;
  }
  let cut = text.slice(0, end).trimEnd();
  // A lone trailing backslash would be half of an escape whose character was cut off.
  const trailing = /\\+$/.exec(cut)?.[0].length ?? 0;
  if (trailing % 2 === 1) cut = cut.slice(0, -1);
  return `${cut}${ELLIPSIS}`;
}

export interface SanitizeOptions {
  /** Lines beyond this are joined into the last one (default 20). */
  maxLines?: number;
  /** Set false only where markdown is wanted from trusted-looking input; mentions are neutralized regardless. */
  escapeMarkdown?: boolean;
}

/**
 * User text → safe display text of at most `max` UTF-16 units. Never throws: anything that is not a
 * string, or any internal failure, yields ''.
 */
export function sanitizeUserText(input: string, max: number, options: SanitizeOptions = {}): string {
  try {
    if (typeof input !== 'string') return '';
    const limit = Math.floor(max);
    if (!(limit > 0)) return '';
    let text = stripInvisible(input.slice(0, MAX_SCAN));
    text = collapseLines(text, options.maxLines ?? DEFAULT_MAX_LINES).trim();
    if (options.escapeMarkdown !== false) text = escapeMarkdown(text);
    text = neutralizeMentions(text);
    return truncate(text, limit);
  } catch {
    return '';
  }
}
