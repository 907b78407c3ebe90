// The bot's JSON log, kept out of the terminal (it goes to a file) but read on the way: the bot
// logs "interaction handled" when a handler has finished, review card and DM included, which is
// the moment a step's output is complete. Warnings and errors are surfaced in the transcript.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';

export type Handled = { outcome: string; ref?: string };
export type LogNotice = { level: 'warn' | 'error' | 'fatal'; text: string };

const LEVELS: Record<number, LogNotice['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

function field(o: object, key: string): unknown {
  return key in o ? (o as Record<string, unknown>)[key] : undefined;
}

function describe(entry: object): string {
  const msg = String(field(entry, 'msg') ?? '');
  const err = field(entry, 'err');
  const errText = typeof err === 'object' && err !== null ? field(err, 'message') : undefined;
  return typeof errText === 'string' && errText ? `${msg}: ${errText}` : msg;
}

export class BotLog extends Writable {
  private readonly file: WriteStream;
  private partial = '';
  private readonly handledById = new Map<string, Handled>();
  private readonly waiters = new Map<string, ((h: Handled) => void)[]>();
  private notices: LogNotice[] = [];

  constructor(readonly path: string) {
    super();
    this.file = createWriteStream(path, { flags: 'a' });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.file.write(text);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.read(line);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.partial) this.read(this.partial);
    this.file.end(() => callback());
  }

  private read(line: string): void {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof entry !== 'object' || entry === null) return;
    const level = LEVELS[Number(field(entry, 'level'))];
    if (level) this.notices.push({ level, text: describe(entry) });
    const id = field(entry, 'interactionId');
    if (field(entry, 'msg') === 'interaction handled' && typeof id === 'string') {
      const ref = field(entry, 'ref');
      const handled: Handled = { outcome: String(field(entry, 'outcome') ?? 'ok'), ...(typeof ref === 'string' ? { ref } : {}) };
      this.handledById.set(id, handled);
      for (const resolve of this.waiters.get(id) ?? []) resolve(handled);
      this.waiters.delete(id);
    }
  }

  /** Resolves when the bot has finished with the interaction, or with null after `timeoutMs`. */
  handled(interactionId: string, timeoutMs: number): Promise<Handled | null> {
    const done = this.handledById.get(interactionId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(interactionId) ?? [];
        this.waiters.set(interactionId, list.filter((w) => w !== finish));
        resolve(null);
      }, timeoutMs);
      const finish = (h: Handled) => {
        clearTimeout(timer);
        resolve(h);
      };
      this.waiters.set(interactionId, [...(this.waiters.get(interactionId) ?? []), finish]);
    });
  }

  /** Warnings and errors logged since the last call. */
  takeNotices(): LogNotice[] {
    const out = this.notices;
    this.notices = [];
    return out;
  }

  async close(): Promise<void> {
    if (this.writableFinished) return;
    const finished = once(this, 'finish');
    this.end();
    await finished;
  }
}
