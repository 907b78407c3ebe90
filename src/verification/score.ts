// Decides, from OCR text alone, how strongly a screenshot shows a cancelled ChatGPT subscription.
//
// A false `verified` counts a pledge nobody checked, while a false `review` costs a moderator a few
// seconds, so `verified` needs every one of these (docs/verification.md has the reasoning):
//   - the product (ChatGPT / OpenAI),
//   - cancel-state wording (cancelled, will not renew, expires/ends on, resubscribe; FR likewise),
//     with a date on its line or the next one: real cancellation screens always show when access ends,
//     while a chat answer or a note explaining how to cancel rarely does,
//   - that wording shortly after a product mention, and no "renews on"/"next payment" there instead,
//   - a subscription-screen word (subscription, plan, billing, settings…),
//   - nothing that marks a chat, a typed statement ("I cancelled…") or the campaign's own hashtag,
//   - no duplicate flag from the caller.
import { ACT, ACTIVE, CANCEL_STATE, CHAT, MONTHS, PLACE, PRODUCT, type Phrase, type PlaceKind } from './phrases.js';
import { boundedDistance, defaultTolerance, normalize, phraseTokens, tokenize, type Token } from './text.js';

export type Verdict = 'verified' | 'review' | 'unrelated';

export type Category = 'product' | 'cancelled' | 'active' | 'act' | 'place' | 'chat' | 'statement';

export type Match = {
  category: Category;
  phrase: string;
  /** Token range [start, end). */
  start: number;
  end: number;
  line: number;
  /** The tokens as recognized. */
  raw: string;
  place?: PlaceKind;
  strongPlace?: boolean;
};

export type Assessment = {
  verdict: Verdict;
  /** 0..1; only an ordering hint for moderators, the verdict rules are above. */
  score: number;
  /** Short, human-readable findings for the review card ("cancelled: Expires 5 March 2026"). */
  evidence: string[];
  /** Why the verdict is not `verified` (empty when it is). */
  missing: string[];
  matches: Match[];
};

export type AssessOptions = {
  /** The pledge's screenshot matched another member's: never auto-verify. */
  duplicate?: boolean;
};

/** How far after a product mention its status line may be (web: header, price, status; stores: name, tier, status). */
const STATUS_LINES_AFTER = 4;
const MAX_EVIDENCE = 12;
const MAX_LINE_CHARS = 80;

export type Compiled = { phrase: Phrase; tokens: string[]; joined: string; tolerance: number };

export function compile(list: readonly Phrase[]): Compiled[] {
  return list.map((phrase) => {
    const tokens = phraseTokens(phrase.text);
    const joined = tokens.join('');
    return { phrase, tokens, joined, tolerance: phrase.tolerance ?? defaultTolerance(joined.length) };
  });
}

const COMPILED = {
  product: compile(PRODUCT),
  cancelled: compile(CANCEL_STATE),
  active: compile(ACTIVE),
  act: compile(ACT),
  place: compile(PLACE),
  chat: compile(CHAT),
};
const PLACE_BY_TEXT = new Map(PLACE.map((pl) => [pl.text, pl]));
const MONTH_SET = new Set(MONTHS);
const LONG_MONTHS = MONTHS.filter((m) => m.length >= 7);

/**
 * Word for word, each word within its own tolerance (so "subscription cancel" is not "subscription
 * canceled": the two missing letters are a different word, not noise spread over a long phrase).
 * When OCR split or merged words the window has another word count: then the letters are compared
 * as one string, allowing at most one edit, since the split or merge already was a misreading.
 */
function windowMatches(tokens: readonly Token[], i: number, w: number, c: Compiled): boolean {
  const k = c.tokens.length;
  if (w === k) {
    let total = 0;
    for (let j = 0; j < k; j++) {
      const t = tokens[i + j]?.norm ?? '';
      const p = c.tokens[j] ?? '';
      // Inside a phrase the other words anchor the match, so short words may take one edit too
      // ("will not rencw"); alone, a short word must be exact ("renew" is not "renews").
      const own = p.length >= 4 && p.length < 7 && k >= 2 ? 1 : defaultTolerance(p.length);
      const tol = c.phrase.tolerance === undefined ? own : Math.min(c.phrase.tolerance, own);
      const d = boundedDistance(t, p, tol);
      if (d > tol) return false;
      total += d;
    }
    if (total <= c.tolerance) return true;
  }
  let joined = '';
  for (let j = i; j < i + w; j++) joined += tokens[j]?.norm ?? '';
  if (w !== k) {
    const tol = Math.min(c.tolerance, 1);
    if (boundedDistance(joined, c.joined, tol) <= tol) return true;
  }
  return c.phrase.substring === true && w === 1 && joined.length > c.joined.length && joined.includes(c.joined);
}

/**
 * Finds each phrase over windows of one token fewer to one more than it has, comparing the
 * concatenated letters: OCR splits words ("Chat GPT") and merges them ("endson") as often as it
 * misreads letters. Tokens claimed by an earlier list in `consumed` are skipped, so "will not
 * renew" cannot also be read as the active "renew…".
 */
export function findMatches(tokens: readonly Token[], list: readonly Compiled[], category: Category, consumed?: boolean[]): Match[] {
  const out: Match[] = [];
  // Longest phrases first, so "will not renew" claims its tokens before "renew…" could.
  const ordered = [...list].sort((a, b) => b.joined.length - a.joined.length);
  for (const c of ordered) {
    const k = c.tokens.length;
    const widths = [k, k - 1, k + 1].filter((w) => w >= 1);
    for (let i = 0; i < tokens.length; i++) {
      for (const w of widths) {
        if (i + w > tokens.length) continue;
        if (consumed && consumed.slice(i, i + w).some(Boolean)) continue;
        const hit = windowMatches(tokens, i, w, c);
        if (!hit) continue;
        const first = tokens[i];
        if (first === undefined) continue;
        const m: Match = {
          category,
          phrase: c.phrase.text,
          start: i,
          end: i + w,
          line: first.line,
          raw: tokens
            .slice(i, i + w)
            .map((t) => t.raw)
            .join(' '),
        };
        const pl = PLACE_BY_TEXT.get(c.phrase.text);
        if (category === 'place' && pl) {
          m.place = pl.place;
          m.strongPlace = pl.strong;
        }
        out.push(m);
        if (consumed) for (let j = i; j < i + w; j++) consumed[j] = true;
        i += w - 1;
        break;
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Lines that carry a date: a month name next to a day or year, or a numeric day/month/year. */
export function datedLines(tokens: readonly Token[], lines: readonly string[]): Set<number> {
  const dated = new Set<number>();
  const isNumber = (t: Token | undefined) => t !== undefined && /^\d{1,4}$/.test(t.norm) && Number(t.norm) >= 1 && (Number(t.norm) <= 31 || (Number(t.norm) >= 1990 && Number(t.norm) <= 2100));
  const isMonth = (t: Token) =>
    MONTH_SET.has(t.norm) || (t.norm.length >= 7 && LONG_MONTHS.some((m) => boundedDistance(t.norm, m, 1) <= 1));
  tokens.forEach((t, i) => {
    if (!isMonth(t)) return;
    for (const j of [i - 2, i - 1, i + 1, i + 2]) {
      const n = tokens[j];
      if (n !== undefined && n.line === t.line && isNumber(n)) {
        dated.add(t.line);
        return;
      }
    }
  });
  lines.forEach((line, i) => {
    if (/\b\d{1,2}[./-]\d{1,2}[./-](\d{4}|\d{2})\b/.test(line) || /\b\d{4}-\d{2}-\d{2}\b/.test(line)) dated.add(i);
  });
  return dated;
}

/** "Expires 08/28" next to a card number is the card's expiry, not the subscription's. */
function isCardExpiry(m: Match, lines: readonly string[]): boolean {
  if (!/^expir/.test(m.phrase.replace(/\s/g, ''))) return false;
  const line = lines[m.line] ?? '';
  return /\b\d{1,2}\s*\/\s*(\d{4}|\d{2})\b(?!\s*\/)/.test(line) || /[•*·]{2,}|\b(visa|mastercard|amex|carte|card)\b/i.test(line);
}

const STATEMENT_AFTER_I = new Set([
  'will', 'have', 've', 'am', 'm', 'just', 'did', 'finally', 'cancelled', 'canceled', 'cancel', 'quit', 'unsubscribed', 'pledge', 'promise',
]);
const STATEMENT_AFTER_JE = new Set(['vais', 'viens', 'suis', 'ai', 'resilie', 'annule', 'quitte', 'm', 'promets', 'me']);

const PAST_CANCEL = new Set(['cancelled', 'canceled', 'quit', 'annule', 'resilie', 'quitte', 'dumped', 'ditched']);
const BRANDS = new Set(['chatgpt', 'openai']);
/** "I" read as a bar or an l at the start of a line: "| cancelled ChatGPT today". */
const MISREAD_I = /(^|\s)[|!l1]\s+(will|have|just|cancell?ed|quit|am|did|finally)\b/;

/**
 * First-person statements, a cancel verb written before the product ("cancelled ChatGPT": a
 * sentence, where a store or web page says "ChatGPT Plus … Canceled") and the campaign's own
 * hashtag: typed text, not a subscription screen.
 */
function findStatements(tokens: readonly Token[], lines: readonly string[]): Match[] {
  const out: Match[] = [];
  lines.forEach((line, i) => {
    const m = MISREAD_I.exec(normalize(line));
    if (m) out.push({ category: 'statement', phrase: m[0].trim(), start: -1, end: -1, line: i, raw: line });
  });
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    const pair = next !== undefined && next.line === t.line ? next.norm : undefined;
    const statement =
      (t.norm === 'i' && pair !== undefined && STATEMENT_AFTER_I.has(pair)) ||
      (t.norm === 'je' && pair !== undefined && STATEMENT_AFTER_JE.has(pair)) ||
      (t.norm === 'j' && pair === 'ai') ||
      (PAST_CANCEL.has(t.norm) && pair !== undefined && BRANDS.has(pair)) ||
      boundedDistance(t.norm, 'quitgpt', 1) <= 1;
    if (statement) {
      const end = pair !== undefined && t.norm !== 'quitgpt' ? i + 2 : i + 1;
      out.push({ category: 'statement', phrase: t.norm, start: i, end, line: t.line, raw: tokens.slice(i, end).map((x) => x.raw).join(' ') });
    }
  });
  return out;
}

/** Evidence lines are stored on the pledge and shown to moderators: an e-mail address or a long number (a card, an order) read off the screenshot is masked. */
export function maskPersonal(s: string): string {
  return s.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '[email]').replace(/\d(?:[ -]?\d){9,}/g, '[number]');
}

function clip(s: string): string {
  const one = maskPersonal(s.replace(/\s+/g, ' ').trim());
  return one.length > MAX_LINE_CHARS ? `${one.slice(0, MAX_LINE_CHARS - 1)}…` : one;
}

export function assessText(text: string, opts: AssessOptions = {}): Assessment {
  const lines = text
    .split(/\r?\n/)
    .filter((l) => /[\p{L}\p{N}]/u.test(l));
  const tokens = tokenize(text);
  const consumed = new Array<boolean>(tokens.length).fill(false);

  const cancelledAll = findMatches(tokens, COMPILED.cancelled, 'cancelled', consumed);
  const cancelled = cancelledAll.filter((m) => !isCardExpiry(m, lines));
  const active = findMatches(tokens, COMPILED.active, 'active', consumed);
  const act = findMatches(tokens, COMPILED.act, 'act', consumed);
  const product = findMatches(tokens, COMPILED.product, 'product');
  const place = findMatches(tokens, COMPILED.place, 'place');
  const chat = findMatches(tokens, COMPILED.chat, 'chat');
  const statements = findStatements(tokens, lines);
  const dates = datedLines(tokens, lines);

  const isDated = (m: Match) => dates.has(m.line) || dates.has(m.line + 1);
  // Each product mention takes the status of the first status line at or a few lines after it
  // (every store and web layout puts the status under the name): in a list of several
  // subscriptions, the previous app's "Renews…" just above ChatGPT is not ChatGPT's.
  const statusLines = [...cancelled, ...active].sort((a, b) => a.line - b.line || a.start - b.start);
  let cancelledNearProduct: Match | undefined;
  let activeNearProduct: Match | undefined;
  for (const pm of product) {
    const inWindow = (s: Match) => s.line >= pm.line && s.line <= pm.line + STATUS_LINES_AFTER;
    const first = statusLines.find(inWindow);
    if (first === undefined) continue;
    if (first.category === 'active') {
      activeNearProduct ??= first;
      continue;
    }
    // The first status may be an undated "Canceled" chip with "Ends on …" under it: any dated
    // cancelled line in the same window will do.
    const dated = statusLines.find((s) => s.category === 'cancelled' && inWindow(s) && isDated(s));
    if (dated) cancelledNearProduct ??= dated;
  }

  const hasProduct = product.length > 0;
  const hasCancelled = cancelled.length > 0;
  const hasDatedCancelled = cancelled.some(isDated);
  const hasPlace = place.length > 0;
  const hasStrongPlace = place.some((m) => m.strongPlace === true);

  const missing: string[] = [];
  if (!hasProduct) missing.push('no ChatGPT/OpenAI product name');
  if (!hasCancelled) missing.push('no cancelled/expiry wording');
  else if (!hasDatedCancelled) missing.push('no date next to the cancelled wording');
  if (hasProduct && hasDatedCancelled && !cancelledNearProduct) missing.push('cancelled wording not next to the product');
  if (activeNearProduct) missing.push('the subscription shows as renewing');
  if (!hasPlace) missing.push('not a subscription screen');
  // The chat page shows through behind the web settings dialog, so its composer and disclaimer
  // count against only when nothing of a subscription screen was read.
  const chatScreen = chat.length > 0 && !hasStrongPlace;
  if (chatScreen) missing.push('a chat, not a subscription screen');
  if (statements.length > 0) missing.push('typed statement, not a subscription screen');
  if (opts.duplicate === true) missing.push('possible duplicate of another pledge');

  let score =
    (hasProduct ? 0.25 : 0) +
    (hasCancelled ? 0.2 : act.length > 0 ? 0.05 : 0) +
    (hasDatedCancelled ? 0.1 : 0) +
    (cancelledNearProduct ? 0.2 : 0) +
    (hasStrongPlace ? 0.15 : hasPlace ? 0.08 : 0) +
    (act.length > 0 && hasCancelled ? 0.05 : 0) +
    (product.some((m) => m.phrase !== 'chatgpt' && m.phrase !== 'openai' && m.phrase !== 'open ai') ? 0.05 : 0);
  if (activeNearProduct) score *= 0.4;
  if (chatScreen) score *= 0.4;
  if (statements.length > 0) score *= 0.4;
  if (opts.duplicate === true) score *= 0.8;
  score = Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;

  const verified =
    hasProduct &&
    cancelledNearProduct !== undefined &&
    activeNearProduct === undefined &&
    hasPlace &&
    !chatScreen &&
    statements.length === 0 &&
    opts.duplicate !== true;
  const anyEvidence = hasProduct || hasCancelled || act.length > 0;
  const verdict: Verdict = verified ? 'verified' : anyEvidence || opts.duplicate === true ? 'review' : 'unrelated';

  const evidence: string[] = [];
  const add = (s: string) => {
    if (evidence.length < MAX_EVIDENCE && !evidence.includes(s)) evidence.push(s);
  };
  const longest = [...product].sort((a, b) => b.raw.length - a.raw.length)[0];
  if (longest) add(`product: ${clip(longest.raw)}`);
  for (const m of cancelledNearProduct ? [cancelledNearProduct, ...cancelled] : cancelled) add(`cancelled: ${clip(lines[m.line] ?? m.raw)}`);
  for (const m of active) add(`renewing: ${clip(lines[m.line] ?? m.raw)}`);
  for (const m of place.filter((x) => x.strongPlace)) add(`place: ${clip(m.raw)}`);
  if (!hasStrongPlace) for (const m of place.slice(0, 2)) add(`place: ${clip(m.raw)}`);
  for (const m of act.slice(0, 2)) add(`action: ${clip(m.raw)}`);
  for (const m of chat.slice(0, 1)) add(`chat: ${clip(m.raw)}`);
  for (const m of statements.slice(0, 1)) add(`typed: ${clip(lines[m.line] ?? m.raw)}`);
  if (opts.duplicate === true) add('duplicate: flagged by the caller');

  return {
    verdict,
    score,
    evidence,
    missing: verified ? [] : missing,
    matches: [...product, ...cancelled, ...active, ...act, ...place, ...chat, ...statements],
  };
}
