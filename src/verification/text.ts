// OCR text → comparable tokens, and the edit distance used to forgive recognition noise.
// Accents and case are dropped because OCR gets them wrong more often than words (é → e, É → E),
// and the phrase lists are written without them.

export type Token = {
  /** Lowercase ASCII letters and digits only. */
  norm: string;
  /** As recognized, for showing moderators what was read. */
  raw: string;
  /** Index of the non-empty line the token is on. */
  line: number;
};

/** Lowercase, accents removed, typographic quotes and ligatures folded. */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[’‘ʼ`´]/g, "'")
    .replace(/æ/gi, 'ae')
    .replace(/œ/gi, 'oe')
    .replace(/ß/g, 'ss')
    .toLowerCase();
}

/** Splits on anything that is not a letter or digit: "won't" → won, t; "l'abonnement" → l, abonnement. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 0;
  for (const rawLine of text.split(/\r?\n/)) {
    let found = false;
    for (const m of rawLine.matchAll(/[\p{L}\p{N}]+/gu)) {
      const norm = normalize(m[0]).replace(/[^a-z0-9]/g, '');
      if (norm === '') continue;
      tokens.push({ norm, raw: m[0], line });
      found = true;
    }
    if (found) line += 1;
  }
  return tokens;
}

/** Phrase text in the same form as tokens: "ne sera pas renouvelé" → ['ne', 'sera', 'pas', 'renouvele']. */
export function phraseTokens(phrase: string): string[] {
  return normalize(phrase)
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

/**
 * Levenshtein distance, giving up as soon as it must exceed `max` (returns max + 1 then). Most
 * comparisons are between unrelated words, so the early exit is what keeps scoring cheap.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      const del = (prev[j] ?? 0) + 1;
      const ins = (cur[j - 1] ?? 0) + 1;
      const v = Math.min(sub, del, ins);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? max + 1;
}

/**
 * How many edits a phrase of this many letters may take. Short words get none: at four or five
 * letters one edit already turns a word into another word ("ends" → "sends", "renew" → "renews").
 */
export function defaultTolerance(letters: number): number {
  if (letters <= 6) return 0;
  if (letters <= 11) return 1;
  return 2;
}
