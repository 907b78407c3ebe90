/**
 * Simulated time. Deadlines (3 s acknowledgement, 15 min token, nonce window, CDN link expiry)
 * are measured against it, so a test can jump past a 15-minute limit without waiting.
 */
export class SimClock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves simulated time forward; pending deadlines that have passed fire immediately. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('clock.advance() takes a non-negative number of milliseconds');
    this.offsetMs += ms;
    for (const listener of [...this.listeners]) listener();
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
