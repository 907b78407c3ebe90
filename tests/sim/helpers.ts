/** A tiny inline bot (the real discord.js Client) wired to a simulator, for the simulator's own tests. */
import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type ClientOptions, type Interaction } from 'discord.js';
import { DiscordSimulator, type SimulatorOptions } from '../../src/sim/index.js';

export type Handler = (interaction: Interaction) => Promise<void>;

export interface TestBot {
  client: Client;
  /** Handlers by command name or custom_id (prefix before the first ':'). */
  handlers: Map<string, Handler>;
  /** Errors the handlers threw (e.g. DiscordAPIError 10062), for assertions. */
  errors: unknown[];
  /** Interaction ids in the order the client received them. */
  received: string[];
}

export const FAST: SimulatorOptions = { heartbeatIntervalMs: 400 };

export async function startSim(options: SimulatorOptions = {}): Promise<DiscordSimulator> {
  return DiscordSimulator.start({ ...FAST, ...options });
}

function keyOf(interaction: Interaction): string {
  if (interaction.isChatInputCommand() || interaction.isAutocomplete()) return interaction.commandName;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return interaction.customId.split(':')[0] ?? '';
  return '';
}

export async function startBot(sim: DiscordSimulator, options: Partial<ClientOptions> = {}): Promise<TestBot> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...options,
    rest: { api: sim.restUrl, ...options.rest },
  });
  const bot: TestBot = { client, handlers: new Map(), errors: [], received: [] };
  client.on(Events.InteractionCreate, (interaction) => {
    bot.received.push(interaction.id);
    const handler = bot.handlers.get(keyOf(interaction));
    if (!handler) return;
    handler(interaction).catch((error: unknown) => bot.errors.push(error));
  });
  // An `error` event without a listener would crash the worker.
  client.on(Events.Error, (error) => bot.errors.push(error));
  const ready = once(client, Events.ClientReady);
  await client.login(sim.token);
  await ready;
  return bot;
}

export interface World {
  guildId: string;
  channelId: string;
  userId: string;
}

/** One guild with a `general` channel and a member `alice`. */
export function basicWorld(sim: DiscordSimulator): World {
  const guild = sim.createGuild({ name: 'Test Guild', channels: [{ name: 'general' }] });
  const user = sim.createUser({ username: 'alice' });
  sim.addMember(guild.id, user.id);
  const channelId = guild.channels.general;
  if (!channelId) throw new Error('no general channel');
  return { guildId: guild.id, channelId, userId: user.id };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns true (for client-side state that has no event to await). */
export async function until(check: () => boolean, timeoutMs = 5000, label = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

export function errorCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') return error.code;
  return undefined;
}
