// CSV export of a server's pledges for its moderators (RFC 4180). It streams: rows are produced
// from the pledge generator as the consumer reads, so 100,000 pledges never become one string.
//
// Columns are fixed and deliberately few: no note, no screenshot data, no image hashes or dHash,
// no reject reason. Spreadsheet apps run a cell that starts with = + - @ (or a tab / CR) as a
// formula (CSV injection), so such a value gets a leading apostrophe, which Excel, LibreOffice and
// Google Sheets show as text. Our own columns never start that way (ids, fixed words, ISO dates),
// so in practice this only ever touches a damaged or forged record.
import { Readable } from 'node:stream';
import type { PledgeRecord } from '../pledges/index.js';

/**
 * `level` is last so that spreadsheets built on the earlier columns keep working: leave, strike or
 * share (a share declaration has a number too, status `verified`, and no screenshot). Records stored
 * before levels existed read, and are exported, as strike.
 */
export const CSV_COLUMNS = ['pledge_id', 'member_id', 'status', 'platform', 'created_at', 'reviewed_at', 'reviewer_id', 'level'] as const;
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field: formula-neutralized, then quoted (with doubled quotes) when RFC 4180 requires it. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function pledgeCsvFields(p: PledgeRecord): Array<string | number | null> {
  return [p.pledgeId, p.userId, p.status, p.platform, p.createdAt, p.reviewedAt ?? null, p.reviewerId ?? null, p.level];
}

/** The header line, then one CRLF-terminated line per pledge. */
export async function* csvRows(pledges: AsyncIterable<PledgeRecord>): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS);
  for await (const p of pledges) yield csvLine(pledgeCsvFields(p));
}

/**
 * A byte stream of the CSV (UTF-8), in chunks of about `chunkBytes`, with backpressure: the
 * pledges are read only as fast as the consumer (an upload, a file) takes the bytes. Destroying
 * the stream stops reading the pledges.
 */
export function csvStream(pledges: AsyncIterable<PledgeRecord>, opts: { chunkBytes?: number } = {}): Readable {
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  async function* chunks(): AsyncGenerator<Buffer> {
    let parts: string[] = [];
    let size = 0;
    for await (const line of csvRows(pledges)) {
      parts.push(line);
      size += line.length;
      if (size >= chunkBytes) {
        yield Buffer.from(parts.join(''), 'utf8');
        parts = [];
        size = 0;
      }
    }
    if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
  }
  return Readable.from(chunks(), { objectMode: false });
}
