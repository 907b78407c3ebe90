// The composition root: config, store, knowledge base, client, commands and events, wired once.
// `npm start` (src/index.ts) and the end-to-end tests both start the bot through `startBot`.
import { DiscordjsError, DiscordjsErrorCodes, type Client } from 'discord.js';
import { loadConfig, type Config } from './config.js';
import { createClient } from './bot/client.js';
import { InFlight } from './bot/lifecycle.js';
import { loadCommands, loadEvents } from './bot/loader.js';
import type { BotContext } from './bot/types.js';
import { formatProblems } from './kb/load.js';
import { KnowledgeBaseHolder } from './kb/holder.js';
import { createLogger, type Logger } from './log.js';
import { PledgeService, type PledgeServiceOptions, type ReviewInput, type ReviewResult, type SubmitInput, type SubmitResult, type WithdrawInput, type WithdrawResult } from './pledges/index.js';
import { ReviewCards } from './pledges/reviewCards.js';
import { createSettings } from './settings/index.js';
import { openStore, StoreUnavailableError, type Store } from './store/index.js';
import { createMilestones } from './milestones/index.js';
import { milestonePoster } from './bot/announcer.js';
import { Cooldowns } from './cooldowns.js';
import { checkNotifier } from './bot/checks.js';
import { retryCardRetirements } from './bot/reviewQueue.js';
import { CheckReplies, PledgeChecks } from './verification/index.js';

/** Discord (or DISCORD_API_URL) did not answer the login: a network or configuration problem, not a bug. */
export class DiscordUnreachableError extends Error {
  override name = 'DiscordUnreachableError';
  constructor(apiUrl: string, cause: unknown) {
    super(`could not connect to Discord at ${apiUrl}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export type StartOptions = {
  env: Record<string, string | undefined>;
  /** Where JSON log lines go (stdout by default). */
  logDestination?: NodeJS.WritableStream;
  clock?: () => Date;
};

export type RunningBot = {
  client: Client;
  ctx: BotContext;
  config: Config;
  log: Logger;
  reloadKnowledgeBase(): Promise<boolean>;
  /** Stops taking new work, finishes what is in flight (up to `graceMs`), then closes the gateway and the store. */
  stop(graceMs?: number): Promise<void>;
};

export async function startBot(options: StartOptions): Promise<RunningBot> {
  const config = loadConfig(options.env, { requireToken: true });
  const log = createLogger(config.logLevel, options.logDestination);
  const clock = options.clock ?? (() => new Date());

  const kb = await KnowledgeBaseHolder.open(config.kbDir, { clock });
  const inFlight = new InFlight();
  const [commands, events] = await Promise.all([loadCommands(), loadEvents()]);
  const storeLog = log.child({ component: 'store' });
  const store = await openStore(config.storeUrl, { log: storeLog });
  // A bot that cannot record pledges should say so at once, not on a member's first /pledge.
  const health = await store.ping();
  if (!health.ok) {
    await store.close();
    throw health.error;
  }
  const repair = new InterruptedWriteRepair({ store, log, track: (work) => void inFlight.track(work) });
  const pledges = new RepairingPledgeService({ store, clock, log: storeLog }, (guildId) => repair.mark(guildId));
  // Counts must equal a recount of the records even after a crash between two writes.
  const repaired = await pledges.reconcile().catch((err: unknown) => {
    log.error({ err }, 'start-up reconciliation failed; counts may be stale until `npm run store:verify`');
    return null;
  });
  if (repaired) {
    const fixes = [...repaired.campaignFixes, ...repaired.guilds.flatMap((g) => g.fixes)];
    log[repaired.repaired ? 'warn' : 'info']({ guilds: repaired.guilds.length, fixes }, 'store reconciled');
  }
  const client = createClient(config);
  const settings = createSettings(store, { log: storeLog });
  const milestones = createMilestones({
    store,
    settings,
    campaignGuilds: () => pledges.guilds(),
    post: milestonePoster(() => client, () => kb.current.campaign),
    clock,
    log: log.child({ component: 'milestones' }),
  });
  const checkReplies = new CheckReplies(store);
  let ctxRef: BotContext | undefined;
  const checks = new PledgeChecks({
    store,
    pledges,
    workers: config.ocrWorkers,
    autoVerify: async (guildId) => (await settings.get(guildId)).autoVerify,
    onChecked: checkNotifier(
      () => client,
      () => {
        if (!ctxRef) throw new Error('bot context not ready');
        return ctxRef;
      },
      checkReplies,
    ),
    log: log.child({ component: 'verification' }),
    clock,
  });
  const ctx: BotContext = {
    config,
    log,
    kb,
    store,
    settings,
    pledges,
    milestones,
    reviewCards: new ReviewCards(store),
    checks,
    checkReplies,
    cooldowns: new Cooldowns(() => clock().getTime()),
    clock,
    commands,
  };
  ctxRef = ctx;
  repair.attach(ctx);
  let accepting = true;

  for (const event of events) {
    const listener = (...args: unknown[]) => {
      if (!accepting) return;
      // A handler's rejection is logged here: an unhandled one would end the process.
      const run = Promise.resolve()
        .then(() => (event.execute as (c: BotContext, ...a: unknown[]) => unknown)(ctx, ...args))
        .catch((err: unknown) => log.error({ err, event: event.name }, 'event handler failed'));
      void inFlight.track(run);
    };
    if (event.once) client.once(event.name, listener);
    else client.on(event.name, listener);
  }

  try {
    await client.login(config.token);
  } catch (err) {
    await client.destroy();
    await store.close();
    if (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid) throw err;
    throw new DiscordUnreachableError(config.apiUrl, err);
  }

  // Announcements decided before a restart (or a crash between deciding and posting) go out now.
  milestones.dispatcher.start();
  // Tracked like a handler: a stop() right after start waits for it instead of closing the store under it.
  void inFlight.track(catchUpMilestones(ctx).catch((err: unknown) => log.error({ err }, 'milestone catch-up failed')));
  // Screenshot checks a previous process queued or was running: finished now (a restart loses none).
  void inFlight.track(
    checks
      .runPending()
      .then((report) => {
        if (report.done + report.failed + report.interrupted + report.cleaned > 0) log.info({ ...report }, 'verification: jobs left by the previous run finished');
      })
      .catch((err: unknown) => log.error({ err }, 'verification: could not resume pending checks; they run at the next start')),
  );

  // Review cards of withdrawn pledges whose channel was unreachable go once it is reachable again
  // (a moderator restores the bot's access at any time, so not only at start-up).
  let retiring = false;
  const retireCards = (): void => {
    if (retiring) return; // a slow pass (many cards, rate limits) is not overlapped by the next
    retiring = true;
    void inFlight.track(
      retryCardRetirements(client, ctx)
        .then(({ retired }) => {
          if (retired > 0) log.info({ retired }, 'review cards of withdrawn pledges retired after their channel became reachable');
        })
        .finally(() => {
          retiring = false;
        }),
    );
  };
  retireCards();
  const retireTimer = setInterval(retireCards, CARD_RETIREMENT_RETRY_MS);
  retireTimer.unref();

  let stopping: Promise<void> | null = null;
  return {
    client,
    ctx,
    config,
    log,
    async reloadKnowledgeBase() {
      const result = await kb.reload();
      if (result.ok) log.info({ kbDir: config.kbDir }, 'knowledge base reloaded');
      else log.error({ kbDir: config.kbDir, problems: formatProblems(result.problems) }, 'knowledge base NOT reloaded: kept the previous one');
      return result.ok;
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        accepting = false;
        clearInterval(retireTimer);
        repair.stop();
        const drained = await inFlight.drain(graceMs);
        if (!drained) log.warn({ pending: inFlight.size }, 'stopped before all work finished');
        // Checks still queued stay in the store and run at the next start.
        await checks.close(graceMs);
        await milestones.dispatcher.stop(graceMs);
        await client.destroy();
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/** How often the bot retries deleting review cards it could not reach at a withdrawal. */
const CARD_RETIREMENT_RETRY_MS = 10 * 60 * 1000;

/**
 * A crash between a pledge being saved and its milestone being decided would lose that milestone:
 * at start-up every server's current count is checked against the thresholds not yet announced.
 */
async function catchUpMilestones(ctx: BotContext): Promise<void> {
  const campaign = await ctx.pledges.campaignTotals();
  for await (const guildId of ctx.pledges.guilds()) await catchUpGuild(ctx, guildId, campaign.counted);
}

async function catchUpGuild(ctx: BotContext, guildId: string, campaignCounted: number): Promise<void> {
  const totals = await ctx.pledges.totals(guildId);
  await ctx.milestones.afterChange(guildId, {
    guild: { before: 0, after: totals.counted },
    campaign: { before: 0, after: campaignCounted },
  });
}

/** PledgeService that reports which server a write was interrupted in (the store became unreachable). */
class RepairingPledgeService extends PledgeService {
  constructor(
    opts: PledgeServiceOptions,
    private readonly onInterrupted: (guildId: string) => void,
  ) {
    super(opts);
  }

  override submit(input: SubmitInput): Promise<SubmitResult> {
    return this.watch(input.guildId, super.submit(input));
  }

  override review(input: ReviewInput): Promise<ReviewResult> {
    return this.watch(input.guildId, super.review(input));
  }

  override withdraw(input: WithdrawInput): Promise<WithdrawResult> {
    return this.watch(input.guildId, super.withdraw(input));
  }

  private watch<T>(guildId: string, work: Promise<T>): Promise<T> {
    return work.catch((err: unknown) => {
      if (err instanceof StoreUnavailableError) this.onInterrupted(guildId);
      throw err;
    });
  }
}

/**
 * A store outage in the middle of a pledge operation can leave the record written and the totals
 * not (docs/store.md, "Write order"). reconcile() repairs that, but it ran only at start-up: until
 * the next restart the running bot showed, and decided milestones on, counts that disagreed with a
 * recount. Every server whose pledge operation failed with StoreUnavailableError is reconciled here,
 * in-process (the same locks as the pledge operations), once the store answers again, and its
 * milestones are caught up.
 */
const REPAIR_FIRST_DELAY_MS = 1_000;
const REPAIR_MAX_DELAY_MS = 30_000;

class InterruptedWriteRepair {
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private delayMs = REPAIR_FIRST_DELAY_MS;
  private ctx: BotContext | undefined;
  private stopped = false;

  constructor(private readonly opts: { store: Store; log: Logger; track: (work: Promise<void>) => void }) {}

  attach(ctx: BotContext): void {
    this.ctx = ctx;
  }

  mark(guildId: string): void {
    this.dirty.add(guildId);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.opts.track(this.run());
    }, this.delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.stopped) return;
    const health = await this.opts.store.ping();
    for (const guildId of health.ok ? [...this.dirty] : []) {
      if (this.stopped) return;
      try {
        const report = await ctx.pledges.reconcile(guildId);
        this.dirty.delete(guildId);
        const fixes = [...report.campaignFixes, ...report.guilds.flatMap((g) => g.fixes)];
        this.opts.log[fixes.length > 0 ? 'warn' : 'info']({ guild: guildId, fixes }, 'server reconciled after an interrupted write');
        await catchUpGuild(ctx, guildId, (await ctx.pledges.campaignTotals()).counted);
      } catch (err) {
        this.opts.log.warn({ err, guild: guildId }, 'reconciliation after an interrupted write failed; will retry');
        break;
      }
    }
    if (this.dirty.size === 0) {
      this.delayMs = REPAIR_FIRST_DELAY_MS;
      return;
    }
    this.delayMs = Math.min(this.delayMs * 2, REPAIR_MAX_DELAY_MS);
    this.schedule();
  }
}
