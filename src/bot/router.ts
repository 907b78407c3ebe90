// Routes every interaction to its command file, and measures and logs each one.
import type { Interaction } from 'discord.js';
import { localeFromDiscord, messages } from '../i18n/index.js';
import { CUSTOM_ID_VERSION, parseCustomId } from '../render/customId.js';
import { reportInteractionError } from './errors.js';
import { sendNotice } from './respond.js';
import type { BotContext } from './types.js';

function label(interaction: Interaction): string {
  if (interaction.isChatInputCommand() || interaction.isAutocomplete()) return interaction.commandName;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return interaction.customId.split(':').slice(0, 2).join(':');
  return `type-${interaction.type}`;
}

async function dispatch(interaction: Interaction, ctx: BotContext): Promise<void> {
  if (interaction.isChatInputCommand()) {
    const command = ctx.commands.get(interaction.commandName);
    if (!command) throw new Error(`no handler for /${interaction.commandName}`);
    return command.execute(interaction, ctx);
  }
  if (interaction.isAutocomplete()) {
    const command = ctx.commands.get(interaction.commandName);
    if (command?.autocomplete) return command.autocomplete(interaction, ctx);
    return void (await interaction.respond([]));
  }
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) {
    const parsed = parseCustomId(interaction.customId);
    const handler = parsed && parsed.version === CUSTOM_ID_VERSION ? ctx.commands.get(parsed.command)?.components?.[parsed.action] : undefined;
    if (!parsed || !handler) {
      return sendNotice(interaction, messages(localeFromDiscord(interaction.locale)).errors.staleComponent);
    }
    return handler(interaction, parsed.args, ctx);
  }
}

export async function routeInteraction(interaction: Interaction, ctx: BotContext): Promise<void> {
  const started = performance.now();
  const fields = { command: label(interaction), guild: interaction.guildId, interactionId: interaction.id };
  try {
    await dispatch(interaction, ctx);
    // The routine line of every interaction: one flat object rather than a child logger made per
    // interaction (pino serializes a child's bindings and builds a new logger). Same fields as below.
    // Autocomplete is keystroke traffic, one interaction per character typed: its routine line is
    // at debug (at info it was a fifth of the bot's work per autocomplete, bench/analysis.md).
    const level = interaction.isAutocomplete() ? 'debug' : 'info';
    if (ctx.log.isLevelEnabled(level)) ctx.log[level]({ ...fields, outcome: 'ok', latencyMs: Math.round(performance.now() - started) }, 'interaction handled');
  } catch (err) {
    const log = ctx.log.child(fields);
    const ref = await reportInteractionError(interaction, err, log);
    log.info({ outcome: ref ? 'error' : 'expired', ref, latencyMs: Math.round(performance.now() - started) }, 'interaction handled');
  }
}
