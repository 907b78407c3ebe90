// Text matching shared by search (autocomplete) and the loader ("did you mean" for unknown keys).

/**
 * Members type on phones, in French or English, with or without accents:
 * "Dónations", "donations" and "DONATIONS" must meet, and so must "dons" and "Dons".
 * Punctuation becomes a space so "prof-g" and "prof g" match too.
 */
export function normalize(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .replace(/ß/g, 'ss')
    .replace(/[^\p{L}\p{N}$]+/gu, ' ')
    .trim();
}

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein without repeated edits of one
 * substring): a swapped pair of letters ("donatoins") costs 1, as people expect of a typo.
 * `max` lets callers stop early: any result above it is reported as max + 1.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;

  const width = b.length + 1;
  // Three rolling rows: the transposition step looks two rows back.
  let prevPrev = new Array<number>(width).fill(0);
  let prev = Array.from({ length: width }, (_, j) => j);
  let row = new Array<number>(width).fill(0);

  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prevPrev[j - 2] ?? 0) + 1);
      }
      row[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prevPrev, prev, row] = [prev, row, prevPrev];
  }
  const result = prev[b.length] ?? 0;
  return result > max ? max + 1 : result;
}

/** The closest candidate within a typo's reach, for "did you mean ...?" hints. */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const target = word.toLowerCase();
  const budget = Math.max(1, Math.floor(target.length / 3));
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of candidates) {
    const d = editDistance(target, candidate.toLowerCase(), budget);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
