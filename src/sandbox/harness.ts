// The real bot on the local simulator: used by the end-to-end tests, the sandbox and the benchmarks.
// The bot is started exactly as `npm start` starts it (startBot with an environment); only the
// environment points it at the simulator.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Events } from 'discord.js';
import { startBot, type RunningBot } from '../app.js';
import { loadConfig } from '../config.js';
import { deployCommands } from '../scripts/deploy.js';
import { DiscordSimulator, type CreatedGuild, type SimulatorOptions, type SimUser } from '../sim/index.js';

export type DemoWorld = {
  guild: CreatedGuild;
  channels: { general: string; announcements: string; review: string; log: string };
  roles: { moderators: string; organizers: string };
  users: { member: SimUser; moderator: SimUser; organizer: SimUser; francophone: SimUser };
};

/** A campaign server as organizers set one up: public channels, a review channel only moderators see. */
export function createDemoWorld(sim: DiscordSimulator, opts: { name?: string; preferredLocale?: string } = {}): DemoWorld {
  const guild = sim.createGuild({
    name: opts.name ?? 'QuitGPT Campaign',
    preferredLocale: opts.preferredLocale ?? 'en-US',
    roles: [
      { name: 'Moderators', permissions: ['ViewChannel', 'SendMessages', 'ManageMessages'] },
      { name: 'Organizers', permissions: ['ViewChannel', 'SendMessages'] },
    ],
    channels: [
      { name: 'general' },
      { name: 'announcements' },
      {
        name: 'pledge-review',
        permissionOverwrites: [
          { id: '@everyone', deny: ['ViewChannel'] },
          { id: 'Moderators', allow: ['ViewChannel'] },
          // As organizers set it up: the bot must see the private channels it posts cards and logs in.
          { id: sim.applicationId, type: 'member', allow: ['ViewChannel'] },
        ],
      },
      {
        name: 'bot-log',
        permissionOverwrites: [
          { id: '@everyone', deny: ['ViewChannel'] },
          { id: 'Moderators', allow: ['ViewChannel'] },
          { id: sim.applicationId, type: 'member', allow: ['ViewChannel'] },
        ],
      },
    ],
  });
  const member = sim.createUser({ username: 'member', globalName: 'Sam Member', locale: 'en-US' });
  const moderator = sim.createUser({ username: 'moderator', globalName: 'Mo Derator', locale: 'en-US' });
  const organizer = sim.createUser({ username: 'organizer', globalName: 'Org Anizer', locale: 'en-US' });
  const francophone = sim.createUser({ username: 'camille', globalName: 'Camille', locale: 'fr' });
  const moderators = guild.roles.Moderators ?? '';
  const organizers = guild.roles.Organizers ?? '';
  sim.addMember(guild.id, member.id);
  sim.addMember(guild.id, moderator.id, { roles: [moderators] });
  sim.addMember(guild.id, organizer.id, { roles: [organizers] });
  sim.addMember(guild.id, francophone.id);
  const channel = (name: string) => {
    const id = guild.channels[name];
    if (!id) throw new Error(`demo world has no #${name}`);
    return id;
  };
  return {
    guild,
    channels: { general: channel('general'), announcements: channel('announcements'), review: channel('pledge-review'), log: channel('bot-log') },
    roles: { moderators, organizers },
    users: { member, moderator, organizer, francophone },
  };
}

export type SimulatedBot = {
  sim: DiscordSimulator;
  bot: RunningBot;
  env: Record<string, string>;
  /** Stops the bot (and the simulator and temp store when this harness created them). */
  stop(): Promise<void>;
};

export type StartSimulatedBotOptions = {
  sim?: DiscordSimulator;
  simOptions?: SimulatorOptions;
  /** Default: a fresh SQLite file in a temp folder, removed on stop. */
  storeUrl?: string;
  kbDir?: string;
  logLevel?: string;
  logDestination?: NodeJS.WritableStream;
  /** Register the slash commands on the simulator first, as `npm run deploy` does (default true). */
  deploy?: boolean;
  /** OCR workers for the automatic screenshot check (default 0: see simulatorEnv). */
  ocrWorkers?: number;
};

/**
 * The bot's environment on the simulator. OCR_WORKERS defaults to 0 here (the bot's own default is
 * one per core): suites and benchmarks that send hundreds of screenshots measure and test the pledge
 * path, and OCR threads would compete with it for this machine's two cores. The verification
 * suites, the sandbox and `npm run bench:ocr` turn it on explicitly.
 */
export function simulatorEnv(sim: DiscordSimulator, storeUrl: string, extra: { kbDir?: string; logLevel?: string; ocrWorkers?: number } = {}): Record<string, string> {
  return {
    OCR_WORKERS: String(extra.ocrWorkers ?? 0),
    DISCORD_TOKEN: sim.token,
    DISCORD_CLIENT_ID: sim.applicationId,
    DISCORD_API_URL: sim.restUrl,
    DISCORD_CDN_URL: sim.cdnUrl,
    STORE_URL: storeUrl,
    KB_DIR: extra.kbDir ?? 'kb',
    LOG_LEVEL: extra.logLevel ?? 'silent',
  };
}

export async function startSimulatedBot(opts: StartSimulatedBotOptions = {}): Promise<SimulatedBot> {
  const ownSim = !opts.sim;
  const sim = opts.sim ?? (await DiscordSimulator.start({ heartbeatIntervalMs: 500, ...opts.simOptions }));
  const tempDir = opts.storeUrl ? null : await mkdtemp(path.join(os.tmpdir(), 'quitgpt-store-'));
  const storeUrl = opts.storeUrl ?? `sqlite://${path.join(tempDir ?? '', 'quitgpt.sqlite')}`;
  const env = simulatorEnv(sim, storeUrl, {
    ...(opts.kbDir ? { kbDir: opts.kbDir } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(opts.ocrWorkers !== undefined ? { ocrWorkers: opts.ocrWorkers } : {}),
  });
  try {
    if (opts.deploy ?? true) await deployCommands(loadConfig(env, { requireToken: true }));
    const bot = await startBot({ env, ...(opts.logDestination ? { logDestination: opts.logDestination } : {}) });
    if (!bot.client.isReady()) await once(bot.client, Events.ClientReady);
    return {
      sim,
      bot,
      env,
      async stop() {
        await bot.stop(2_000);
        if (ownSim) await sim.stop();
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (ownSim) await sim.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}
