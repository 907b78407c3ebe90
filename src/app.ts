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
import { PledgeService } from './pledges/index.js';
import { ReviewCards } from './pledges/reviewCards.js';
import { createSettings } from './settings/index.js';
import { openStore } from './store/index.js';
import { createMilestones } from './milestones/index.js';
import { milestonePoster } from './bot/announcer.js';
import { Cooldowns } from './cooldowns.js';

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
  const [commands, events] = await Promise.all([loadCommands(), loadEvents()]);
  const storeLog = log.child({ component: 'store' });
  const store = await openStore(config.storeUrl, { log: storeLog });
  // A bot that cannot record pledges should say so at once, not on a member's first /pledge.
  const health = await store.ping();
  if (!health.ok) {
    await store.close();
    throw health.error;
  }
  const pledges = new PledgeService({ store, clock, log: storeLog });
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
  const ctx: BotContext = {
    config,
    log,
    kb,
    store,
    settings,
    pledges,
    milestones,
    reviewCards: new ReviewCards(store),
    cooldowns: new Cooldowns(() => clock().getTime()),
    clock,
    commands,
  };
  const inFlight = new InFlight();
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
  void catchUpMilestones(ctx).catch((err: unknown) => log.error({ err }, 'milestone catch-up failed'));

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
        const drained = await inFlight.drain(graceMs);
        if (!drained) log.warn({ pending: inFlight.size }, 'stopped before all work finished');
        await milestones.dispatcher.stop(graceMs);
        await client.destroy();
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

/**
 * A crash between a pledge being saved and its milestone being decided would lose that milestone:
 * at start-up every server's current count is checked against the thresholds not yet announced.
 */
async function catchUpMilestones(ctx: BotContext): Promise<void> {
  const campaign = await ctx.pledges.campaignTotals();
  for await (const guildId of ctx.pledges.guilds()) {
    const totals = await ctx.pledges.totals(guildId);
    await ctx.milestones.afterChange(guildId, {
      guild: { before: 0, after: totals.counted },
      campaign: { before: 0, after: campaign.counted },
    });
  }
}
