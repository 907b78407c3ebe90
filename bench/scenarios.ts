// What a member does for each benchmarked command, and how one interaction is timed and judged.
import sharp from 'sharp';
import type { BotKind } from './children.js';
import type { Sample } from './load.js';
import type { CdnAsset, DiscordSimulator, InteractionHandle, JsonObject, SimMessage } from '../src/sim/index.js';

export type CommandKey = 'facts' | 'donors' | 'alternatives' | 'autocomplete' | 'pledge' | 'pledge-review' | 'pledge-memory' | 'stats' | 'milestones';

export type World = {
  sim: DiscordSimulator;
  guildId: string;
  channelId: string;
  /** Members who may repeat commands (the knowledge commands need no fresh member). */
  members: readonly string[];
  /** Makes a member who never pledged in this guild. */
  newMember(): string;
  /** The one small PNG every member submits (registered on the CDN once). */
  screenshot: CdnAsset;
  /** Give each member a screenshot of their own instead (see uniqueScreenshots). */
  uniqueImages: boolean;
};

/** Who does interaction i, with which screenshot. */
export type Cast = { userId: string; screenshot: CdnAsset };

export type Scenario = {
  key: CommandKey;
  label: string;
  /** Each interaction from a member who never pledged, so each one records a pledge. */
  freshMember: boolean;
  start(world: World, cast: Cast, i: number): InteractionHandle;
  /** null when the final answer is the right one, else why not. */
  check?(reply: SimMessage, kind: BotKind): string | null;
};

/** Long enough for any backlog the bench can build; a final answer later than this is a failure. */
const FINAL_TIMEOUT_MS = 120_000;

const TOPICS = ['campaign', 'trigger', 'galloway', 'spread'];
const TYPED = ['ca', 'gal', 'tri', 'sp', 'q', ''];
const PLEDGE_ANSWER = /#\d+/;

function submitPledge(w: World, { userId, screenshot }: Cast): InteractionHandle {
  return w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'pledge', subcommand: 'submit', options: { screenshot } });
}

export const SCENARIOS: Record<CommandKey, Scenario> = {
  facts: {
    key: 'facts',
    label: '/facts topic',
    freshMember: false,
    start: (w, { userId }, i) => w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'facts', options: { topic: TOPICS[i % TOPICS.length] ?? 'campaign' } }),
  },
  donors: {
    key: 'donors',
    label: '/donors',
    freshMember: false,
    start: (w, { userId }) => w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'donors' }),
  },
  alternatives: {
    key: 'alternatives',
    label: '/alternatives',
    freshMember: false,
    start: (w, { userId }) => w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'alternatives' }),
  },
  autocomplete: {
    key: 'autocomplete',
    label: 'autocomplete /facts topic',
    freshMember: false,
    start: (w, { userId }, i) =>
      w.sim.interactions.startAutocomplete({ guildId: w.guildId, channelId: w.channelId, userId, name: 'facts', focused: 'topic', options: { topic: TYPED[i % TYPED.length] ?? '' } }),
  },
  pledge: {
    key: 'pledge',
    label: '/pledge submit',
    freshMember: true,
    start: submitPledge,
    check: (reply, kind) => (kind === 'baseline' || PLEDGE_ANSWER.test(reply.content) ? null : `not recorded: ${reply.content.slice(0, 80)}`),
  },
  'pledge-review': {
    key: 'pledge-review',
    label: '/pledge submit, review channel set',
    freshMember: true,
    start: submitPledge,
    check: (reply, kind) => (kind === 'baseline' || PLEDGE_ANSWER.test(reply.content) ? null : `not recorded: ${reply.content.slice(0, 80)}`),
  },
  'pledge-memory': {
    key: 'pledge-memory',
    label: '/pledge submit, in-memory SQLite, own screenshots',
    freshMember: true,
    start: submitPledge,
    check: (reply, kind) => (kind === 'baseline' || PLEDGE_ANSWER.test(reply.content) ? null : `not recorded: ${reply.content.slice(0, 80)}`),
  },
  milestones: {
    key: 'milestones',
    label: '/milestones',
    freshMember: false,
    start: (w, { userId }) => w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'milestones' }),
  },
  stats: {
    key: 'stats',
    label: '/stats show',
    freshMember: false,
    start: (w, { userId }) => w.sim.slash({ guildId: w.guildId, channelId: w.channelId, userId, name: 'stats', ...statsInvocation(w.sim, w.guildId) }),
    // Members without the organizer role get a one-line refusal, which would time the wrong thing.
    check: (reply, kind) => (kind === 'baseline' || reply.embeds.length > 0 ? null : `no stats embed: ${reply.content.slice(0, 80)}`),
  },
};

/**
 * /stats is being written while this bench is: call it as registered, through its first
 * subcommand if it has subcommands, with no options (a required option makes it unusable here).
 */
export function statsInvocation(sim: DiscordSimulator, guildId: string): { subcommand?: string } {
  const command = findCommand(sim, 'stats', guildId);
  const options = Array.isArray(command?.options) ? (command.options as JsonObject[]) : [];
  const sub = options.find((o) => o.type === 1 && !(Array.isArray(o.options) && (o.options as JsonObject[]).some((x) => x.required === true)));
  return sub && typeof sub.name === 'string' ? { subcommand: sub.name } : {};
}

/** Why /stats cannot be benchmarked through the simulator right now, or null when it can. */
export function statsUnavailable(sim: DiscordSimulator, guildId: string): string | null {
  const command = findCommand(sim, 'stats', guildId);
  if (!command) return 'no /stats command is registered (commands/stats.ts does not exist yet)';
  const options = Array.isArray(command.options) ? (command.options as JsonObject[]) : [];
  const hasSubs = options.some((o) => o.type === 1 || o.type === 2);
  if (hasSubs && !statsInvocation(sim, guildId).subcommand) return '/stats has no subcommand callable without options';
  if (!hasSubs && options.some((o) => o.required === true)) return '/stats requires an option the bench does not know how to fill';
  return null;
}

function findCommand(sim: DiscordSimulator, name: string, guildId: string): JsonObject | undefined {
  return [...sim.registeredCommands(), ...sim.registeredCommands(guildId)].find((c) => c.name === name);
}

/** Times one interaction from its dispatch (`t0`, taken right after sim.slash() returned). */
export async function observe(handle: InteractionHandle, t0: number, kind: BotKind, scenario: Scenario): Promise<Sample> {
  let ackType: number;
  let ackMs: number;
  try {
    ackType = (await handle.acknowledged()).type;
    ackMs = performance.now() - t0;
  } catch {
    return { ackMs: NaN, finalMs: NaN, ok: false, error: 'not acknowledged within the deadline' };
  }
  let finalMs = ackMs;
  let reply: SimMessage | undefined;
  // Type 5 (deferred): the member sees a "thinking" message until the bot edits @original.
  if (ackType === 4 || ackType === 5) {
    try {
      reply = await handle.waitForReply(undefined, FINAL_TIMEOUT_MS);
      if (ackType === 5) finalMs = performance.now() - t0;
    } catch {
      return { ackMs, finalMs: NaN, ok: false, error: 'no final answer' };
    }
  }
  const errors = handle.errors;
  if (errors.length > 0) {
    const e = errors[0];
    return { ackMs, finalMs, ok: false, error: `Discord error ${e?.code ?? '?'} on ${e?.route ?? '?'}: ${e?.message ?? ''}` };
  }
  const wrong = reply && scenario.check ? scenario.check(reply, kind) : null;
  return wrong ? { ackMs, finalMs, ok: false, error: wrong } : { ackMs, finalMs, ok: true };
}

/**
 * Screenshots no other member sent: a random 9×8 grey grid blown up to 360×640, so each has its
 * own SHA-256 and a dHash (computed on a 9×8 thumbnail) far from the others, and the duplicate
 * check finds nothing, as for honest members. The shared screenshot instead makes every pledge a
 * possible duplicate of the previous ones (the "viral screenshot" case).
 */
export async function uniqueScreenshots(sim: DiscordSimulator, count: number, seed: number): Promise<CdnAsset[]> {
  const out: CdnAsset[] = [];
  let s = seed >>> 0 || 1;
  for (let k = 0; k < count; k++) {
    const grid = Buffer.alloc(9 * 8);
    for (let i = 0; i < grid.length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      grid[i] = 30 + (s % 200);
    }
    const png = await sharp(grid, { raw: { width: 9, height: 8, channels: 1 } }).resize(360, 640, { kernel: 'nearest', fit: 'fill' }).toColourspace('srgb').png().toBuffer();
    out.push(sim.cdn.register(png, { filename: 'cancelled.png', contentType: 'image/png', width: 360, height: 640 }));
  }
  return out;
}
