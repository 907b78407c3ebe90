// The knowledge base the running bot answers from. Organizers edit kb/*.yaml while the bot
// runs; a reload with a mistake in it must not take /facts down, so the last good KB stays.
import { formatProblems, loadKnowledgeBase, type KbProblem, type KbResult } from './load.js';
import type { KnowledgeBase } from './schema.js';

export type HolderOptions = {
  /** Clock for the "as_of in the future" check; the bot passes its own so tests can pin it. */
  clock?: () => Date;
};

export class KnowledgeBaseInvalidError extends Error {
  readonly problems: readonly KbProblem[];
  /** One formatted problem per line, ready for a log line or stderr. */
  readonly report: string;

  constructor(dir: string, problems: readonly KbProblem[]) {
    const report = formatProblems(problems);
    super(`knowledge base in ${dir} is invalid (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${report}`);
    this.name = 'KnowledgeBaseInvalidError';
    this.problems = problems;
    this.report = report;
  }
}

export class KnowledgeBaseHolder {
  #current: KnowledgeBase;
  // Reloads run one after another: two overlapping reloads could otherwise finish out of
  // order and leave the older files' KB in place.
  #queue: Promise<unknown> = Promise.resolve();

  /** Public so tests can hold a hand-made KB; the bot uses `open`. */
  constructor(
    readonly dir: string,
    initial: KnowledgeBase,
    private readonly options: HolderOptions = {},
  ) {
    this.#current = initial;
  }

  /** Boot refuses to start on an invalid KB: better a loud failure than answers with no facts. */
  static async open(dir: string, options: HolderOptions = {}): Promise<KnowledgeBaseHolder> {
    const result = await loadKnowledgeBase(dir, { now: (options.clock ?? (() => new Date()))() });
    if (!result.ok) throw new KnowledgeBaseInvalidError(dir, result.problems);
    return new KnowledgeBaseHolder(dir, result.kb, options);
  }

  get current(): KnowledgeBase {
    return this.#current;
  }

  /** Replaces the KB only if the files on disk are valid; otherwise keeps it and returns the problems. */
  async reload(): Promise<KbResult> {
    const next = this.#queue.then(async () => {
      const result = await loadKnowledgeBase(this.dir, { now: (this.options.clock ?? (() => new Date()))() });
      if (result.ok) this.#current = result.kb;
      return result;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
