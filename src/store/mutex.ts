// keyv has no transactions, so every read-modify-write of a shared value (a server's counter, its
// aggregate, a hash-index bucket) runs under an in-process lock on that value's name.
// This protects one process only: see docs/store.md ("Concurrency") for sharded deployments.
import { StoreUnavailableError } from './errors.js';

type Tail = { promise: Promise<void> };

export class KeyedMutex {
  private readonly tails = new Map<string, Tail>();

  /** Number of names currently locked or waited on: lets tests prove locks are released. */
  get size(): number {
    return this.tails.size;
  }

  /**
   * Runs `fn` once every earlier holder of `key` has finished (FIFO). A waiter that gives up after
   * `timeoutMs` still takes and releases its turn, so the queue behind it is never stranded.
   */
  async run<T>(key: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    const release = await this.acquire(key, timeoutMs);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Locks several names at once. They are always taken in sorted order, so two callers that need
   * overlapping sets can never each hold one name the other waits for.
   */
  async runMany<T>(keys: readonly string[], fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const key of sorted) releases.push(await this.acquire(key, timeoutMs));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string, timeoutMs: number): Promise<() => void> {
    const previous = this.tails.get(key)?.promise ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail: Tail = { promise: previous.then(() => mine) };
    this.tails.set(key, tail);
    const done = (): void => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const winner = await Promise.race([previous.then(() => 'acquired' as const), timedOut]);
    clearTimeout(timer);
    if (winner === 'timeout') {
      // Our place in the queue is kept and handed on as soon as it comes up.
      void previous.then(done);
      throw new StoreUnavailableError(`lock ${key}`, 'lock-timeout');
    }
    return done;
  }
}

// Two Store objects opened on the same database in one process (the bot and a maintenance task,
// or a test reopening a file) must exclude each other too, so locks live per backend identity.
const registry = new Map<string, { mutex: KeyedMutex; users: number }>();

export function sharedMutex(identity: string): { mutex: KeyedMutex; release: () => void } {
  let entry = registry.get(identity);
  if (!entry) {
    entry = { mutex: new KeyedMutex(), users: 0 };
    registry.set(identity, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    mutex: held.mutex,
    release: () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0 && registry.get(identity) === held) registry.delete(identity);
    },
  };
}
