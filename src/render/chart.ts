// PNG charts for milestone announcements and /stats: an SVG rasterized by sharp.
//
// Text is drawn as vector paths read from DejaVu Sans (npm dejavu-fonts-ttf), never as SVG
// <text>: librsvg would look fonts up through fontconfig, and a fresh server or container often
// has no fonts at all, which renders text as nothing or as boxes without any error. Paths render
// the same on every machine, need no environment variable set before sharp's first use, and also
// work in worker threads (where process.env changes never reach native code).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sharp } from '../images/sharp.js'; // loaded on the first chart, not at start-up: src/images/sharp.ts
import { formatCount } from '../i18n/index.js';
import type { Locale } from '../kb/schema.js';
import { milestonesStrings } from '../milestones/strings.js';
import { statsStrings } from '../stats/strings.js';

// ─── TrueType outlines ───────────────────────────────────────────────────────────────────────────

type Cmd = { op: 'M' | 'L'; x: number; y: number } | { op: 'Q'; cx: number; cy: number; x: number; y: number } | { op: 'Z' };
type Glyph = { advance: number; cmds: Cmd[] };

/**
 * The few tables needed to draw text (cmap, hmtx, loca, glyf), parsed from the font file. No
 * kerning or shaping: labels are short Latin text, where plain advances look right.
 */
class Font {
  readonly unitsPerEm: number;
  readonly ascender: number;
  private readonly view: DataView;
  private readonly tables = new Map<string, { offset: number; length: number }>();
  private readonly numGlyphs: number;
  private readonly numHMetrics: number;
  private readonly longLoca: boolean;
  private readonly cmap = new Map<number, number>();
  private readonly glyphs = new Map<number, Glyph>();

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const v = this.view;
    const numTables = v.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const rec = 12 + i * 16;
      const tag = String.fromCharCode(v.getUint8(rec), v.getUint8(rec + 1), v.getUint8(rec + 2), v.getUint8(rec + 3));
      this.tables.set(tag, { offset: v.getUint32(rec + 8), length: v.getUint32(rec + 12) });
    }
    const head = this.table('head');
    this.unitsPerEm = v.getUint16(head + 18);
    this.longLoca = v.getInt16(head + 50) === 1;
    const hhea = this.table('hhea');
    this.ascender = v.getInt16(hhea + 4);
    this.numHMetrics = v.getUint16(hhea + 34);
    this.numGlyphs = v.getUint16(this.table('maxp') + 4);
    this.readCmap();
  }

  glyphFor(codePoint: number): Glyph {
    const id = this.cmap.get(codePoint) ?? this.cmap.get(FALLBACK.get(codePoint) ?? -1) ?? 0;
    let g = this.glyphs.get(id);
    if (!g) {
      g = { advance: this.advance(id), cmds: this.outline(id, 0) };
      this.glyphs.set(id, g);
    }
    return g;
  }

  has(codePoint: number): boolean {
    return this.cmap.has(codePoint);
  }

  private table(tag: string): number {
    const t = this.tables.get(tag);
    if (!t) throw new Error(`font has no ${tag} table`);
    return t.offset;
  }

  private readCmap(): void {
    const v = this.view;
    const cmap = this.table('cmap');
    const n = v.getUint16(cmap + 2);
    let format4: number | null = null;
    let format12: number | null = null;
    for (let i = 0; i < n; i++) {
      const rec = cmap + 4 + i * 8;
      const platform = v.getUint16(rec);
      const encoding = v.getUint16(rec + 2);
      const sub = cmap + v.getUint32(rec + 4);
      const format = v.getUint16(sub);
      const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
      if (!unicode) continue;
      if (format === 12) format12 = sub;
      else if (format === 4) format4 = sub;
    }
    if (format12 !== null) {
      const groups = v.getUint32(format12 + 12);
      for (let i = 0; i < groups; i++) {
        const g = format12 + 16 + i * 12;
        const start = v.getUint32(g);
        const end = v.getUint32(g + 4);
        const glyph = v.getUint32(g + 8);
        for (let c = start; c <= end; c++) this.cmap.set(c, glyph + (c - start));
      }
      return;
    }
    if (format4 === null) throw new Error('font has no Unicode cmap');
    const segX2 = v.getUint16(format4 + 6);
    const ends = format4 + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const rangeOffsets = deltas + segX2;
    for (let s = 0; s < segX2; s += 2) {
      const end = v.getUint16(ends + s);
      const start = v.getUint16(starts + s);
      const delta = v.getInt16(deltas + s);
      const ro = v.getUint16(rangeOffsets + s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let glyph: number;
        if (ro === 0) glyph = (c + delta) & 0xffff;
        else {
          const raw = v.getUint16(rangeOffsets + s + ro + (c - start) * 2);
          glyph = raw === 0 ? 0 : (raw + delta) & 0xffff;
        }
        if (glyph !== 0) this.cmap.set(c, glyph);
      }
    }
  }

  private advance(id: number): number {
    const i = Math.min(id, this.numHMetrics - 1);
    return this.view.getUint16(this.table('hmtx') + i * 4);
  }

  private glyphRange(id: number): { start: number; end: number } | null {
    if (id >= this.numGlyphs) return null;
    const loca = this.table('loca');
    const at = (i: number): number => (this.longLoca ? this.view.getUint32(loca + i * 4) : this.view.getUint16(loca + i * 2) * 2);
    const start = at(id);
    const end = at(id + 1);
    return end > start ? { start: this.table('glyf') + start, end: this.table('glyf') + end } : null;
  }

  /** Outline in font units (y up). `depth` bounds composite glyphs that refer to each other. */
  private outline(id: number, depth: number): Cmd[] {
    const range = this.glyphRange(id);
    if (!range || depth > 8) return [];
    const v = this.view;
    const contours = v.getInt16(range.start);
    if (contours >= 0) return this.simpleOutline(range.start, contours);

    const out: Cmd[] = [];
    let p = range.start + 10;
    for (;;) {
      const flags = v.getUint16(p);
      const component = v.getUint16(p + 2);
      p += 4;
      let dx: number;
      let dy: number;
      if (flags & 0x0001) {
        dx = v.getInt16(p);
        dy = v.getInt16(p + 2);
        p += 4;
      } else {
        dx = v.getInt8(p);
        dy = v.getInt8(p + 1);
        p += 2;
      }
      // Point-matched placement (ARGS_ARE_XY_VALUES unset) does not occur in the accents we draw.
      if (!(flags & 0x0002)) dx = dy = 0;
      let [a, b, c, d] = [1, 0, 0, 1];
      const f2dot14 = (at: number): number => v.getInt16(at) / 16384;
      if (flags & 0x0008) {
        a = d = f2dot14(p);
        p += 2;
      } else if (flags & 0x0040) {
        a = f2dot14(p);
        d = f2dot14(p + 2);
        p += 4;
      } else if (flags & 0x0080) {
        a = f2dot14(p);
        b = f2dot14(p + 2);
        c = f2dot14(p + 4);
        d = f2dot14(p + 6);
        p += 8;
      }
      const tx = (x: number, y: number): [number, number] => [a * x + c * y + dx, b * x + d * y + dy];
      for (const cmd of this.outline(component, depth + 1)) {
        if (cmd.op === 'Z') out.push(cmd);
        else if (cmd.op === 'Q') {
          const [cx, cy] = tx(cmd.cx, cmd.cy);
          const [x, y] = tx(cmd.x, cmd.y);
          out.push({ op: 'Q', cx, cy, x, y });
        } else {
          const [x, y] = tx(cmd.x, cmd.y);
          out.push({ op: cmd.op, x, y });
        }
      }
      if (!(flags & 0x0020)) break;
    }
    return out;
  }

  private simpleOutline(start: number, contours: number): Cmd[] {
    const v = this.view;
    const endPts: number[] = [];
    for (let i = 0; i < contours; i++) endPts.push(v.getUint16(start + 10 + i * 2));
    const points = (endPts[endPts.length - 1] ?? -1) + 1;
    let p = start + 10 + contours * 2;
    p += 2 + v.getUint16(p);
    const flags: number[] = [];
    while (flags.length < points) {
      const f = v.getUint8(p++);
      flags.push(f);
      if (f & 0x08) {
        let repeat = v.getUint8(p++);
        while (repeat-- > 0) flags.push(f);
      }
    }
    const read = (short: number, same: number): number[] => {
      const out: number[] = [];
      let value = 0;
      for (const f of flags.slice(0, points)) {
        if (f & short) {
          const delta = v.getUint8(p++);
          value += f & same ? delta : -delta;
        } else if (!(f & same)) {
          value += v.getInt16(p);
          p += 2;
        }
        out.push(value);
      }
      return out;
    };
    const xs = read(0x02, 0x10);
    const ys = read(0x04, 0x20);

    const cmds: Cmd[] = [];
    let first = 0;
    for (const last of endPts) {
      const pts: Array<{ x: number; y: number; on: boolean }> = [];
      for (let i = first; i <= last; i++) pts.push({ x: xs[i] ?? 0, y: ys[i] ?? 0, on: ((flags[i] ?? 0) & 0x01) !== 0 });
      first = last + 1;
      if (pts.length === 0) continue;
      // Two consecutive off-curve points imply an on-curve point halfway between them.
      const expanded: Array<{ x: number; y: number; on: boolean }> = [];
      pts.forEach((pt, i) => {
        const prev = pts[(i - 1 + pts.length) % pts.length];
        if (prev && !prev.on && !pt.on) expanded.push({ x: (prev.x + pt.x) / 2, y: (prev.y + pt.y) / 2, on: true });
        expanded.push(pt);
      });
      const startIdx = expanded.findIndex((pt) => pt.on);
      if (startIdx < 0) continue;
      const ring = [...expanded.slice(startIdx), ...expanded.slice(0, startIdx)];
      const origin = ring[0];
      if (!origin) continue;
      cmds.push({ op: 'M', x: origin.x, y: origin.y });
      for (let i = 1; i <= ring.length; i++) {
        const pt = ring[i % ring.length];
        if (!pt) break;
        if (pt.on) {
          if (i < ring.length) cmds.push({ op: 'L', x: pt.x, y: pt.y });
        } else {
          const after = ring[(i + 1) % ring.length] ?? origin;
          cmds.push({ op: 'Q', cx: pt.x, cy: pt.y, x: after.x, y: after.y });
          i += 1;
        }
      }
      cmds.push({ op: 'Z' });
    }
    return cmds;
  }
}

/** Characters Intl formatting produces that a font may lack: fall back to a look-alike. */
const FALLBACK = new Map<number, number>([
  [0x202f, 0x20], // narrow no-break space (French thousands separator)
  [0x00a0, 0x20],
  [0x2009, 0x20],
  [0x2212, 0x2d], // minus sign
]);

/** DejaVu Sans from the `dejavu-fonts-ttf` package: installed with the bot, so present on every machine it runs on. */
function locateFontDir(): string {
  const pkg = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json');
  return join(dirname(pkg), 'ttf');
}

let fonts: { regular: Font; bold: Font } | null = null;
function loadFonts(): { regular: Font; bold: Font } {
  if (!fonts) {
    const dir = locateFontDir();
    fonts = { regular: new Font(readFileSync(join(dir, 'DejaVuSans.ttf'))), bold: new Font(readFileSync(join(dir, 'DejaVuSans-Bold.ttf'))) };
  }
  return fonts;
}

export type TextStyle = { size: number; bold?: boolean; fill: string; anchor?: 'start' | 'middle' | 'end'; maxWidth?: number };

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

/** Width in pixels of `text` at `size`. */
export function measureText(text: string, size: number, bold = false): number {
  const font = bold ? loadFonts().bold : loadFonts().regular;
  let w = 0;
  for (const ch of text) w += font.glyphFor(ch.codePointAt(0) ?? 0).advance;
  return (w * size) / font.unitsPerEm;
}

/**
 * `text` as one SVG <path>, baseline at y. Too wide for maxWidth: the size shrinks down to 60%,
 * then the end is cut with an ellipsis, so a long title never runs off the image.
 */
export function textPath(text: string, x: number, y: number, style: TextStyle): string {
  const font = style.bold ? loadFonts().bold : loadFonts().regular;
  let size = style.size;
  let chars = Array.from(text.replace(/[\r\n\t]+/g, ' '));
  if (style.maxWidth !== undefined) {
    const fit = style.maxWidth / Math.max(measureText(chars.join(''), size, style.bold), 1);
    if (fit < 1) size = Math.max(size * fit, style.size * 0.6);
    while (chars.length > 1 && measureText(chars.join(''), size, style.bold) > style.maxWidth) {
      chars = [...chars.slice(0, -2), '…'];
    }
  }
  const width = measureText(chars.join(''), size, style.bold);
  const anchor = style.anchor ?? 'start';
  let pen = anchor === 'middle' ? x - width / 2 : anchor === 'end' ? x - width : x;
  const s = size / font.unitsPerEm;
  const parts: string[] = [];
  for (const ch of chars) {
    const g = font.glyphFor(ch.codePointAt(0) ?? 0);
    for (const c of g.cmds) {
      if (c.op === 'Z') parts.push('Z');
      else if (c.op === 'Q') parts.push(`Q${r1(pen + c.cx * s)} ${r1(y - c.cy * s)} ${r1(pen + c.x * s)} ${r1(y - c.y * s)}`);
      else parts.push(`${c.op}${r1(pen + c.x * s)} ${r1(y - c.y * s)}`);
    }
    pen += g.advance * s;
  }
  if (parts.length === 0) return '';
  return `<path fill="${style.fill}" d="${parts.join('')}"/>`;
}

/** True when every character of `text` has its own glyph (tests: no box for é, ç, «, €…). */
export function fontCovers(text: string, bold = false): boolean {
  const font = bold ? loadFonts().bold : loadFonts().regular;
  return Array.from(text).every((ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return font.has(cp) || FALLBACK.has(cp);
  });
}

// ─── Shared look ─────────────────────────────────────────────────────────────────────────────────

const COLORS = {
  background: '#1e1f22',
  panel: '#2b2d31',
  text: '#f2f3f5',
  muted: '#b5bac1',
  grid: '#3f4147',
  brand: '#10a37f',
  brandLight: '#5fd3b3',
  line: '#f0b232',
};

/**
 * zlib level 6, not 9: on these flat-colour charts 9 spends about half the drawing time (~12 of
 * ~22 ms for the 800×400 chart) to make the file ~15 % smaller (28 KB instead of 33 KB).
 */
async function rasterize(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png({ compressionLevel: 6 }).toBuffer();
}

function svgDoc(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" rx="16" fill="${COLORS.background}"/>`,
    ...body,
    '</svg>',
  ].join('');
}

const finite = (n: number): number => (Number.isFinite(n) ? n : 0);

// ─── Progress toward the next milestone ─────────────────────────────────────────────────────────

export const PROGRESS_SIZE = { width: 800, height: 300 } as const;

export type ProgressChartInput = {
  count: number;
  /** Next threshold, or null when every threshold is reached. */
  next: number | null;
  /** Where the bar starts: the last threshold reached (default 0). */
  previous?: number;
  locale: Locale;
  title: string;
};

/** 800×300 PNG: the title, the count in large type, and a bar from the previous to the next threshold. */
export async function renderProgressPng(input: ProgressChartInput): Promise<Buffer> {
  const { width, height } = PROGRESS_SIZE;
  const s = milestonesStrings[input.locale].chart;
  const count = Math.max(0, Math.floor(finite(input.count)));
  const previous = Math.max(0, Math.floor(finite(input.previous ?? 0)));
  const next = input.next === null ? null : Math.floor(finite(input.next));
  const fmt = (n: number): string => formatCount(n, input.locale);
  const body: string[] = [];

  body.push(textPath(input.title, 40, 62, { size: 30, bold: true, fill: COLORS.text, maxWidth: width - 80 }));
  const countText = fmt(count);
  body.push(textPath(countText, 40, 150, { size: 72, bold: true, fill: COLORS.brandLight, maxWidth: 420 }));
  const countWidth = Math.min(measureText(countText, 72, true), 420);
  body.push(textPath(s.pledges(count), 40 + countWidth + 16, 150, { size: 28, fill: COLORS.muted, maxWidth: width - 96 - countWidth }));

  const bar = { x: 40, y: 190, w: width - 80, h: 28 };
  const span = next === null ? 1 : Math.max(next - previous, 1);
  const fraction = next === null ? 1 : Math.min(Math.max((count - previous) / span, 0), 1);
  body.push(`<rect x="${bar.x}" y="${bar.y}" width="${bar.w}" height="${bar.h}" rx="14" fill="${COLORS.panel}"/>`);
  if (fraction > 0) {
    const w = Math.max(bar.h, bar.w * fraction);
    body.push(`<rect x="${bar.x}" y="${bar.y}" width="${r1(w)}" height="${bar.h}" rx="14" fill="${COLORS.brand}"/>`);
  }
  const labelY = bar.y + bar.h + 36;
  if (next === null) {
    body.push(textPath(s.allReached, width / 2, labelY, { size: 22, fill: COLORS.muted, anchor: 'middle', maxWidth: bar.w }));
  } else {
    body.push(textPath(fmt(previous), bar.x, labelY, { size: 20, fill: COLORS.muted }));
    body.push(textPath(s.next(fmt(next)), bar.x + bar.w, labelY, { size: 22, bold: true, fill: COLORS.text, anchor: 'end', maxWidth: bar.w / 2 }));
    body.push(textPath(s.toGo(fmt(Math.max(next - count, 0))), width / 2, labelY, { size: 20, fill: COLORS.muted, anchor: 'middle', maxWidth: bar.w / 3 }));
  }
  return rasterize(svgDoc(width, height, body));
}

// ─── Pledges per day ─────────────────────────────────────────────────────────────────────────────

export const DAILY_SIZE = { width: 800, height: 400 } as const;

export type DailyChartInput = {
  /** UTC day (YYYY-MM-DD) → counted pledges created that day (Totals.daily). */
  daily: Readonly<Record<string, number>>;
  days: number;
  locale: Locale;
  /** The last day shown (default: today, UTC). */
  end?: Date;
  title?: string;
};

const DAY_MS = 86_400_000;

const dateFormats: Record<Locale, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-US', { day: 'numeric', month: 'short', timeZone: 'UTC' }),
  fr: new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', timeZone: 'UTC' }),
};

export function utcDayString(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The `days` UTC days ending with `end`, oldest first. */
export function dayRange(end: Date, days: number): string[] {
  const last = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate());
  return Array.from({ length: days }, (_, i) => utcDayString(new Date(last - (days - 1 - i) * DAY_MS)));
}

/**
 * Axis top for `intervals` equal, whole-number steps at or above `max`: steps are 1, 1.5, 2, 2.5,
 * 3, 4, 5, 6 or 8 × 10^n (whole numbers only), so labels stay round and the bars use the height.
 */
export function niceScale(max: number, intervals = 4): { top: number; step: number } {
  if (!(max > 0)) return { top: intervals, step: 1 };
  const rough = max / intervals;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * mag).find((s) => s >= rough && Number.isInteger(s)) ?? Math.ceil(rough);
  return { top: step * intervals, step };
}

/**
 * Everything a daily chart draws, and nothing else: the UTC days shown, the count of each, the
 * total before the first of them, the words. Two inputs with equal data draw the same bytes, so
 * `dailyChartKey(data)` is a complete cache key (src/stats/chartCache.ts relies on that).
 */
export type DailyChartData = {
  locale: Locale;
  /** The UTC days shown (YYYY-MM-DD), oldest first; 1 to 366 of them. */
  range: readonly string[];
  /** Pledges per shown day, same order as `range`, never negative. */
  perDay: readonly number[];
  /** Pledges counted before the first shown day: where the total line starts. */
  before: number;
  title: string;
};

/** The data of a daily chart, from what callers hold (Totals.daily, a window, a locale, a clock). */
export function dailyChartData(input: DailyChartInput): DailyChartData {
  const days = Math.min(Math.max(Math.floor(finite(input.days)), 1), 366);
  const range = dayRange(input.end ?? new Date(), days);
  const first = range[0] ?? '';
  const value = (d: string): number => Math.max(0, finite(input.daily[d] ?? 0));
  // The line is the total so far, so it starts from everything counted before the window.
  const before = Object.entries(input.daily).reduce((sum, [d, n]) => (d < first ? sum + Math.max(0, finite(n)) : sum), 0);
  return { locale: input.locale, range, perDay: range.map(value), before, title: input.title ?? statsStrings[input.locale].chart.title(days) };
}

/** A string equal for two data exactly when they draw the same chart. */
export function dailyChartKey(data: DailyChartData): string {
  return JSON.stringify([data.locale, data.title, data.range[0] ?? '', data.range.length, data.before, data.perDay]);
}

/** 800×400 PNG: one bar per day (left axis) and the running total as a line (right axis). */
export async function renderDailyChartPng(input: DailyChartInput): Promise<Buffer> {
  return drawDailyChart(dailyChartData(input));
}

/** The PNG of `data` (see dailyChartData). */
export async function drawDailyChart(data: DailyChartData): Promise<Buffer> {
  const { width, height } = DAILY_SIZE;
  const s = statsStrings[data.locale].chart;
  const { range, perDay } = data;
  const days = range.length;
  let running = data.before;
  const cumulative = perDay.map((n) => (running += n));
  const fmt = (n: number): string => formatCount(n, data.locale);

  const plot = { x: 70, y: 90, w: width - 140, h: height - 160 };
  const intervals = 4;
  const left = niceScale(Math.max(...perDay, 0), intervals);
  const right = niceScale(Math.max(...cumulative, 0), intervals);
  const body: string[] = [];
  body.push(textPath(data.title, 40, 50, { size: 26, bold: true, fill: COLORS.text, maxWidth: width - 300 }));

  // Legend, top right.
  const legendY = 48;
  const totalLabel = s.total;
  const totalW = measureText(totalLabel, 16);
  const perDayW = measureText(s.perDay, 16);
  let lx = width - 40 - totalW;
  body.push(textPath(totalLabel, lx, legendY + 5, { size: 16, fill: COLORS.muted }));
  lx -= 30;
  body.push(`<line x1="${r1(lx)}" y1="${legendY}" x2="${r1(lx + 22)}" y2="${legendY}" stroke="${COLORS.line}" stroke-width="4" stroke-linecap="round"/>`);
  lx -= 24 + perDayW;
  body.push(textPath(s.perDay, lx, legendY + 5, { size: 16, fill: COLORS.muted }));
  lx -= 24;
  body.push(`<rect x="${r1(lx)}" y="${legendY - 8}" width="16" height="16" rx="3" fill="${COLORS.brand}"/>`);

  // One grid for both axes: left in pledges per day, right in total pledges.
  for (let i = 0; i <= intervals; i++) {
    const y = plot.y + plot.h - (plot.h * i) / intervals;
    body.push(`<line x1="${plot.x}" y1="${r1(y)}" x2="${plot.x + plot.w}" y2="${r1(y)}" stroke="${COLORS.grid}" stroke-width="1"/>`);
    body.push(textPath(fmt(left.step * i), plot.x - 10, y + 5, { size: 14, fill: COLORS.muted, anchor: 'end' }));
    body.push(textPath(fmt(right.step * i), plot.x + plot.w + 10, y + 5, { size: 14, fill: COLORS.line }));
  }

  const slot = plot.w / days;
  const barW = Math.max(1, slot * 0.7);
  perDay.forEach((n, i) => {
    if (n <= 0) return;
    const h = (plot.h * n) / left.top;
    const x = plot.x + i * slot + (slot - barW) / 2;
    body.push(`<rect x="${r1(x)}" y="${r1(plot.y + plot.h - h)}" width="${r1(barW)}" height="${r1(h)}" rx="2" fill="${COLORS.brand}"/>`);
  });
  const points = cumulative.map((n, i) => `${r1(plot.x + i * slot + slot / 2)},${r1(plot.y + plot.h - (plot.h * n) / right.top)}`);
  body.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.line}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>`);

  // Date labels: about six, always including the last day.
  const dateFmt = dateFormats[data.locale];
  const every = Math.max(1, Math.ceil(days / 6));
  range.forEach((d, i) => {
    if ((days - 1 - i) % every !== 0) return;
    const x = plot.x + i * slot + slot / 2;
    body.push(textPath(dateFmt.format(new Date(`${d}T00:00:00Z`)), x, plot.y + plot.h + 26, { size: 14, fill: COLORS.muted, anchor: 'middle' }));
  });

  if (cumulative.every((n) => n === 0)) {
    const w = Math.min(measureText(s.empty, 24) + 40, plot.w);
    body.push(`<rect x="${r1(plot.x + (plot.w - w) / 2)}" y="${plot.y + plot.h / 2 - 34}" width="${r1(w)}" height="48" rx="10" fill="${COLORS.panel}"/>`);
    body.push(textPath(s.empty, plot.x + plot.w / 2, plot.y + plot.h / 2, { size: 24, fill: COLORS.muted, anchor: 'middle', maxWidth: plot.w }));
  }
  return rasterize(svgDoc(width, height, body));
}
