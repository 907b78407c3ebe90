// Loads kb/*.yaml and reports everything wrong with it in one go. Organizers edit these
// files by hand; a fix-one-rerun-find-the-next loop is what makes people give up, so every
// check keeps going after a failure and the report names file, path and what to change.
// Pure: no Discord, no logging. Callers decide what to do with the problems.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import {
  alternativesFileSchema,
  dateSchema,
  donorsFileSchema,
  factsFileSchema,
  partialDateSchema,
  timelineFileSchema,
  type KnowledgeBase,
} from './schema.js';
import { closestWord, normalize } from './text.js';
import { guidesFileSchema, missingGuideIds } from './guides.js';
import { campaignFileSchema, campaignMismatch } from '../impact/schema.js';

export type KbProblem = {
  /** Relative to the kb folder, e.g. `facts.yaml`. */
  file: string;
  /** Dotted path into the file's data (`topics.2.facts.0.sources.0.url`), or `(file)`. */
  path: string;
  message: string;
};

export type KbResult = { ok: true; kb: KnowledgeBase } | { ok: false; problems: KbProblem[] };

export type LoadOptions = {
  /** The clock for "as_of is in the future"; tests pin it. */
  now?: Date;
};

export const KB_FILES = {
  facts: 'facts.yaml',
  donors: 'donors.yaml',
  alternatives: 'alternatives.yaml',
  timeline: 'timeline.yaml',
} as const;

/**
 * Files added after the first four: a kb folder without them still loads (no /quit guides, no
 * money figures), but when one is there (or a look-alike such as guides.yml) it is checked like
 * the others.
 */
export const KB_OPTIONAL_FILES = {
  guides: 'guides.yaml',
  campaign: 'campaign.yaml',
} as const;

export const FILE_LEVEL = '(file)';

export function formatProblem(p: KbProblem): string {
  return `${p.file}: ${p.path}: ${p.message}`;
}

/** One formatted problem per line. */
export function formatProblems(problems: readonly KbProblem[]): string {
  return problems.map(formatProblem).join('\n');
}

export async function loadKnowledgeBase(dir: string, options: LoadOptions = {}): Promise<KbResult> {
  const now = options.now ?? new Date();
  const problems: KbProblem[] = [];

  // Listing the folder lets a missing file point at its look-alike (facts.yml), and a wrong
  // KB_DIR say so instead of leaving four bare "file is missing" lines to puzzle over.
  const listing = await readdir(dir).then(
    (names) => ({ names, folderMissing: false }),
    (err: unknown) => ({ names: [] as string[], folderMissing: errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR' }),
  );
  const read = (file: string) => readYaml(dir, file, listing.names, listing.folderMissing);
  const [factsRaw, donorsRaw, alternativesRaw, timelineRaw] = await Promise.all([
    read(KB_FILES.facts),
    read(KB_FILES.donors),
    read(KB_FILES.alternatives),
    read(KB_FILES.timeline),
  ]);
  const readOptional = (file: string): Promise<Raw | null> =>
    listing.names.includes(file) || lookalikeHint(file, listing.names) !== '' ? read(file) : Promise.resolve(null);
  const [guidesRaw, campaignRaw] = await Promise.all([readOptional(KB_OPTIONAL_FILES.guides), readOptional(KB_OPTIONAL_FILES.campaign)]);

  const facts = check(KB_FILES.facts, factsRaw, factsFileSchema, problems, (raw, p) => {
    checkDuplicateIds(raw, 'topics', p);
    checkTopicNames(raw, p);
    checkFactIds(raw, p);
    for (const [i, topic] of items(raw, 'topics')) {
      for (const [j, fact] of items(topic, 'facts')) checkDates(fact, `topics.${i}.facts.${j}`, now, p);
    }
  });

  const donors = check(KB_FILES.donors, donorsRaw, donorsFileSchema, problems, (raw, p) => {
    checkDuplicateIds(raw, 'donors', p);
    checkDuplicateNames(raw, 'donors', p);
    for (const [i, donor] of items(raw, 'donors')) checkDates(donor, `donors.${i}`, now, p);
  });

  const alternatives = check(KB_FILES.alternatives, alternativesRaw, alternativesFileSchema, problems, (raw, p) => {
    checkDuplicateIds(raw, 'alternatives', p);
    checkDuplicateNames(raw, 'alternatives', p);
    for (const [i, alt] of items(raw, 'alternatives')) {
      checkDates(alt, `alternatives.${i}`, now, p);
      const price = isRecord(alt) ? alt['price'] : undefined;
      if (isRecord(price)) checkSourceDate(price['source'], alt, `alternatives.${i}.price.source`, p);
    }
    const all = items(raw, 'alternatives');
    if (all.length > 0 && !all.some(([, alt]) => isRecord(alt) && alt['campaign_pick'] === true)) {
      p('alternatives', 'no alternative has campaign_pick: true; mark the ones the campaign itself points to (Gemini, open-source options) so they are shown first');
    }
  });

  const timeline = check(KB_FILES.timeline, timelineRaw, timelineFileSchema, problems, (raw, p) => {
    checkDuplicateIds(raw, 'events', p);
    for (const [i, event] of items(raw, 'events')) checkDates(event, `events.${i}`, now, p);
  });

  const guides =
    guidesRaw &&
    check(KB_OPTIONAL_FILES.guides, guidesRaw, guidesFileSchema, problems, (raw, p) => {
      checkDuplicateIds(raw, 'guides', p);
      for (const id of missingGuideIds(raw)) p('guides', `no guide with id "${id}"; /quit offers it, so add one`);
      for (const [i, guide] of items(raw, 'guides')) checkDates(guide, `guides.${i}`, now, p);
    });

  const campaign =
    campaignRaw &&
    check(KB_OPTIONAL_FILES.campaign, campaignRaw, campaignFileSchema, problems, (raw, p) => {
      for (const key of ['subscription', 'market_value_estimate']) checkDates(field(raw, key), key, now, p);
      const mismatch = campaignMismatch(raw);
      if (mismatch) p('market_value_estimate.subscription_usd_per_year', mismatch);
    });

  if (problems.length > 0 || !facts || !donors || !alternatives || !timeline) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    kb: {
      topics: facts.topics,
      donors: donors.donors,
      donorsIntro: donors.intro,
      alternatives: alternatives.alternatives,
      timeline: timeline.events,
      ...(guides ? { guides: guides.guides } : {}),
      ...(campaign ? { campaign } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

type Raw = { ok: true; data: unknown } | { ok: false; problems: KbProblem[] };

async function readYaml(dir: string, file: string, siblings: readonly string[], folderMissing: boolean): Promise<Raw> {
  const fileProblem = (message: string): Raw => ({ ok: false, problems: [{ file, path: FILE_LEVEL, message }] });

  let source: string;
  try {
    source = await readFile(path.join(dir, file), 'utf8');
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      const hint = folderMissing ? ` (there is no folder "${dir}")` : lookalikeHint(file, siblings);
      return fileProblem(`file is missing${hint}`);
    }
    if (code === 'EISDIR') return fileProblem('is a folder, expected a YAML file');
    return fileProblem(`cannot be read (${code ?? String(err)})`);
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { file, path: FILE_LEVEL, message: `YAML syntax error at line ${line}, column ${col}: ${firstLine(e.message)}` };
      }),
    };
  }
  if (doc.contents === null) return fileProblem('file is empty');
  try {
    return { ok: true, data: doc.toJS() };
  } catch (err) {
    // toJS refuses alias bombs (&a / *a repeated past yaml's limit): a file problem, not a crash.
    return fileProblem(`cannot be read as data: ${firstLine(err instanceof Error ? err.message : String(err))}`);
  }
}

function lookalikeHint(file: string, siblings: readonly string[]): string {
  const stem = file.replace(/\.yaml$/, '');
  const near = siblings.find((s) => s !== file && (s.toLowerCase() === file || s.toLowerCase() === `${stem}.yml`));
  return near ? ` (found "${near}"; rename it to "${file}")` : '';
}

function errorCode(err: unknown): string | undefined {
  if (isRecord(err) && typeof err['code'] === 'string') return err['code'];
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]?.trim() ?? s;
}

// ---------------------------------------------------------------------------------------------
// Validation

type Report = (path: string, message: string) => void;

function check<S extends z.ZodType>(
  file: string,
  raw: Raw,
  schema: S,
  problems: KbProblem[],
  crossChecks: (data: unknown, report: Report) => void,
): z.output<S> | undefined {
  if (!raw.ok) {
    problems.push(...raw.problems);
    return undefined;
  }
  const report: Report = (p, message) => problems.push({ file, path: p || FILE_LEVEL, message });
  const parsed = schema.safeParse(raw.data, { error: friendlyMessage, reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const problem of issueProblems(file, issue, schema)) problems.push(problem);
    }
  }
  // Cross-checks read the raw data so they still run, and still report, when the schema
  // rejected something elsewhere in the same file.
  crossChecks(raw.data, report);
  return parsed.success ? parsed.data : undefined;
}

function joinPath(p: readonly PropertyKey[]): string {
  return p.length === 0 ? FILE_LEVEL : p.map(String).join('.');
}

function issueProblems(file: string, issue: z.core.$ZodIssue, schema: z.ZodType): KbProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const allowed = objectKeysAt(schema, issue.path) ?? [];
    return issue.keys.map((key) => {
      const guess = closestWord(key, allowed);
      const hint = guess
        ? ` (did you mean "${guess}"?)`
        : allowed.length > 0
          ? ` (expected one of: ${allowed.join(', ')})`
          : '';
      return { file, path: joinPath([...issue.path, key]), message: `unknown key${hint}` };
    });
  }
  return [{ file, path: joinPath(issue.path), message: issue.message + inputSuffix(issue) }];
}

/** Says what was actually there, so nobody has to count characters or hunt for the typo. */
function inputSuffix(issue: z.core.$ZodIssue): string {
  const input: unknown = issue.input;
  if (issue.code === 'too_big') {
    if (typeof input === 'string') return ` (this one has ${input.length})`;
    if (Array.isArray(input)) return ` (this one has ${input.length})`;
  }
  // Format messages stay as the schema words them ("expected an http(s) address"): the path
  // already points at the value. A refinement (a date that does not exist) is clearer with it.
  if (issue.code === 'custom' && typeof input === 'string') return ` (got "${clip(input)}")`;
  return '';
}

function clip(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Messages for every check whose schema did not set its own (the schema's words win). */
const friendlyMessage: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) {
        const last = iss.path?.[iss.path.length - 1];
        if (last === 'en') return 'the English text is missing';
        if (last === 'fr') return 'the French text is missing';
        return 'required, but missing';
      }
      return `expected ${describeExpected(iss.expected)}, got ${describeValue(iss.input)}`;
    }
    case 'too_small':
      if (iss.origin === 'array') return `needs at least ${String(iss.minimum)} ${Number(iss.minimum) === 1 ? 'entry' : 'entries'}`;
      if (iss.origin === 'number') return iss.inclusive ? `must be at least ${String(iss.minimum)}` : `must be more than ${String(iss.minimum)}`;
      return undefined;
    case 'too_big':
      if (iss.origin === 'array') return `at most ${String(iss.maximum)} entries`;
      if (iss.origin === 'string') return `at most ${String(iss.maximum)} characters`;
      return undefined;
    case 'invalid_value':
      return `expected one of: ${iss.values.map(String).join(', ')} (got ${describeValue(iss.input)})`;
    default:
      return undefined;
  }
};

function describeExpected(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list (lines starting with "- ")';
    case 'object':
      return 'a mapping (lines of "key: value")';
    default:
      return expected;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `"${clip(v)}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** The keys a strict object allows at `at`, for "did you mean" on unknown keys. */
function objectKeysAt(schema: z.ZodType, at: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType = schema;
  for (let i = 0; ; i++) {
    current = unwrap(current);
    const seg = at[i];
    if (seg === undefined) return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
    if (current instanceof z.ZodObject) {
      const next: unknown = current.shape[String(seg)];
      if (!(next instanceof z.ZodType)) return undefined;
      current = next;
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
    } else {
      return undefined;
    }
  }
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.out as z.ZodType;
    else return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-checks (what one entry's schema cannot see)

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entries of a list field as [index, entry] pairs; nothing if the field is not a list. */
function items(parent: unknown, key: string): Array<[number, unknown]> {
  const v = isRecord(parent) ? parent[key] : undefined;
  return Array.isArray(v) ? v.map((entry, i): [number, unknown] => [i, entry]) : [];
}

function field(entry: unknown, key: string): unknown {
  return isRecord(entry) ? entry[key] : undefined;
}

function checkDuplicateIds(raw: unknown, listKey: string, report: Report): void {
  const seen = new Map<string, string>();
  for (const [i, entry] of items(raw, listKey)) {
    const id = field(entry, 'id');
    if (typeof id !== 'string') continue;
    const here = `${listKey}.${i}.id`;
    const first = seen.get(id);
    if (first) report(here, `duplicate id "${id}" (already used at ${first})`);
    else seen.set(id, here);
  }
}

// Lookups are by normalized id or name; two entries that normalize alike could not be told apart.
function checkDuplicateNames(raw: unknown, listKey: string, report: Report): void {
  const seen = new Map<string, string>();
  for (const [i, entry] of items(raw, listKey)) {
    const name = field(entry, 'name');
    if (typeof name !== 'string') continue;
    const key = normalize(name);
    const here = `${listKey}.${i}.name`;
    const first = seen.get(key);
    if (first) report(here, `duplicate name "${name}" (already used at ${first})`);
    else seen.set(key, here);
  }
}

// Members pick a topic by id or by its English or French name, so all of them must point to one topic.
function checkTopicNames(raw: unknown, report: Report): void {
  const owner = new Map<string, { topic: number; at: string }>();
  for (const [i, topic] of items(raw, 'topics')) {
    const name = field(topic, 'name');
    const terms: Array<[string, unknown]> = [
      [`topics.${i}.id`, field(topic, 'id')],
      [`topics.${i}.name.en`, field(name, 'en')],
      [`topics.${i}.name.fr`, field(name, 'fr')],
    ];
    for (const [at, value] of terms) {
      if (typeof value !== 'string') continue;
      const key = normalize(value);
      if (key === '') continue;
      const first = owner.get(key);
      if (!first) owner.set(key, { topic: i, at });
      // The id has its own duplicate check; here only clashes between different topics' names matter.
      else if (first.topic !== i && !(at.endsWith('.id') && first.at.endsWith('.id'))) {
        report(at, `"${value}" is already the id or name of another topic (${first.at})`);
      }
    }
  }
}

// A fact's id is how organizers and logs point at one statement, wherever it lives.
function checkFactIds(raw: unknown, report: Report): void {
  const seen = new Map<string, string>();
  for (const [i, topic] of items(raw, 'topics')) {
    for (const [j, fact] of items(topic, 'facts')) {
      const id = field(fact, 'id');
      if (typeof id !== 'string') continue;
      const here = `topics.${i}.facts.${j}.id`;
      const first = seen.get(id);
      if (first) report(here, `duplicate fact id "${id}" (already used at ${first}); fact ids must be unique across all topics`);
      else seen.set(id, here);
    }
  }
}

/**
 * as_of is the day an organizer last checked the entry. It is compared with the latest
 * calendar day anywhere on Earth (UTC+14), so an organizer east of UTC writing today's date
 * after their midnight is not told their today is in the future.
 */
function checkDates(entry: unknown, at: string, now: Date, report: Report): void {
  const asOf = dateSchema.safeParse(field(entry, 'as_of'));
  if (asOf.success) {
    const latestToday = new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
    if (asOf.data > latestToday) {
      report(`${at}.as_of`, `${asOf.data} is in the future (today is ${now.toISOString().slice(0, 10)})`);
    }
  }
  for (const [k, source] of items(entry, 'sources')) checkSourceDate(source, entry, `${at}.sources.${k}`, report);
}

function checkSourceDate(source: unknown, entry: unknown, at: string, report: Report): void {
  const asOf = dateSchema.safeParse(field(entry, 'as_of'));
  const date = partialDateSchema.safeParse(field(source, 'date'));
  // Partial dates (2026-02) compare as their first day, so only a surely-later source is reported.
  if (asOf.success && date.success && date.data > asOf.data) {
    report(`${at}.date`, `source dated ${date.data} is later than the entry's as_of ${asOf.data}`);
  }
}
