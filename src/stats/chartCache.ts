// The /stats chart costs ~10–25 ms to draw (SVG → PNG in sharp) and an organizer who asks twice, or
// two organizers of one server, usually get the same picture. This keeps the last chart drawn per
// slot (a server and a language) with the complete key of what it shows (dailyChartKey: the days
// shown, their counts, the total before them, the words), so a repeat is served without drawing.
//
// Invalidation needs no hook into the pledge flow: a new, withdrawn or rejected pledge changes a
// day's count, a new UTC day changes the days shown, another language changes the words; each
// changes the key and the slot is redrawn. What does not change the picture (a pending pledge
// verified: both count) keeps it. Bounded by entries and bytes, least recently used out first.
import { z } from 'zod';

export type ChartCacheOptions = {
  /** Slots kept (default 64). */
  maxEntries?: number;
  /** Bytes of PNG kept over all slots (default 4 MiB); a single larger image is drawn, not kept. */
  maxBytes?: number;
};

const optionsSchema = z.object({
  maxEntries: z.number().int().min(1).default(64),
  maxBytes: z.number().int().min(1).default(4 * 1024 * 1024),
});

type Entry = { key: string; png: Promise<Buffer>; bytes: number };

export type ChartCacheStats = { hits: number; misses: number; entries: number; bytes: number };

export class ChartCache {
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly slots = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(options: ChartCacheOptions = {}) {
    const o = optionsSchema.parse(options);
    this.maxEntries = o.maxEntries;
    this.maxBytes = o.maxBytes;
  }

  /**
   * The PNG kept in `slot` when it was drawn for `key`, else `draw()`'s, kept for next time.
   * Callers asking at once for the same slot and key share one drawing. A drawing that fails is
   * not kept. The buffer is shared between callers: read it, never write to it.
   */
  get(slot: string, key: string, draw: () => Promise<Buffer>): Promise<Buffer> {
    const found = this.slots.get(slot);
    if (found && found.key === key) {
      this.hits++;
      this.slots.delete(slot);
      this.slots.set(slot, found);
      return found.png;
    }
    this.misses++;
    if (found) this.remove(slot, found);
    const png = draw();
    const entry: Entry = { key, png, bytes: 0 };
    this.slots.set(slot, entry);
    png.then(
      (buf) => {
        if (this.slots.get(slot) !== entry) return;
        if (buf.length > this.maxBytes) return void this.slots.delete(slot);
        entry.bytes = buf.length;
        this.bytes += buf.length;
        this.evict();
      },
      () => {
        if (this.slots.get(slot) === entry) this.slots.delete(slot);
      },
    );
    this.evict();
    return png;
  }

  stats(): ChartCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.slots.size, bytes: this.bytes };
  }

  clear(): void {
    this.slots.clear();
    this.bytes = 0;
  }

  private remove(slot: string, entry: Entry): void {
    this.slots.delete(slot);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    for (const [slot, entry] of this.slots) {
      if (this.slots.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
      this.remove(slot, entry);
    }
  }
}
