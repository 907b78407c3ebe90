// The yardstick: the least a discord.js bot can do for the same interactions. Same library, same
// intents, same REST path as the real bot, no work of its own, so the ratio bot/baseline is the
// cost of the bot's code (KB lookups, rendering, store, image checks) and nothing else.
// Run as a child process by bench/run.ts with the simulator's DISCORD_TOKEN and DISCORD_API_URL.
import { Client, Events, GatewayIntentBits, MessageFlags, type Interaction } from 'discord.js';

const EMBED = {
  title: 'QuitGPT',
  description: 'A fixed answer: the baseline does no work of its own.',
  color: 0x2b6cb0,
  fields: [{ name: 'Source', value: 'bench/baseline.ts' }],
};
const CHOICES = [
  { name: 'The campaign', value: 'campaign' },
  { name: 'What set it off', value: 'trigger' },
  { name: 'Scott Galloway', value: 'galloway' },
];
/** Commands the real bot defers (download, store, chart): the baseline defers them too, like for like. */
const DEFERRED = new Set(['pledge', 'stats', 'milestones']);
const NO_PINGS = { parse: [] as [] };

const token = process.env.DISCORD_TOKEN;
const api = process.env.DISCORD_API_URL;
if (!token || !api) {
  process.stderr.write('baseline: DISCORD_TOKEN and DISCORD_API_URL are required\n');
  process.exit(2);
}

const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api } });
// The "limiter" case: the same bare bot with the real bot's REST fix, to show that fix alone.
// Imported only then, so the plain baseline loads nothing of the bot's code.
if (process.env.BENCH_EXEMPT_WEBHOOKS === '1') (await import('../src/bot/client.js')).exemptTokenWebhooksFromGlobalLimit(client);

async function answer(interaction: Interaction): Promise<void> {
  if (interaction.isAutocomplete()) return void (await interaction.respond(CHOICES));
  if (!interaction.isChatInputCommand()) return;
  if (DEFERRED.has(interaction.commandName)) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.editReply({ content: 'Thanks: recorded.', allowedMentions: NO_PINGS });
    return;
  }
  await interaction.reply({ embeds: [EMBED], flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
}

client.on(Events.InteractionCreate, (interaction) => {
  answer(interaction).catch((err: unknown) => {
    process.stderr.write(`baseline: interaction failed: ${err instanceof Error ? err.message : String(err)}\n`);
  });
});
// The same line shape as the real bot's pino "ready" line, so the parent waits for both alike.
client.once(Events.ClientReady, (c) => {
  process.stdout.write(`${JSON.stringify({ level: 30, msg: 'ready', guilds: c.guilds.cache.size })}\n`);
});
client.on(Events.Error, (err) => process.stderr.write(`baseline: client error: ${err.message}\n`));

const shutdown = (): void => {
  void client.destroy().then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

client.login(token).catch((err: unknown) => {
  process.stderr.write(`baseline: login failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
