import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { ChatInputCommandInteraction } from 'discord.js';
import { shareOption } from '../src/bot/commandOptions.js';
import { sendReply, wantsShare } from '../src/bot/respond.js';
import type { BotContext, ComponentHandler } from '../src/bot/types.js';
import { viewButtons } from '../src/bot/views.js';
import { en } from '../src/i18n/en.js';
import { fr } from '../src/i18n/fr.js';
import { localeFromDiscord, localizations } from '../src/i18n/index.js';
import {
  ALTERNATIVE_FILTERS,
  decodeAlternativesView,
  isAlternativeFilter,
  renderAlternatives,
} from '../src/render/alternatives.js';

export const data = new SlashCommandBuilder()
  .setName(en.alternatives.name)
  .setNameLocalizations(localizations((m) => m.alternatives.name))
  .setDescription(en.alternatives.description)
  .setDescriptionLocalizations(localizations((m) => m.alternatives.description))
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName(en.alternatives.needOptionName)
      .setNameLocalizations(localizations((m) => m.alternatives.needOptionName))
      .setDescription(en.alternatives.needOption)
      .setDescriptionLocalizations(localizations((m) => m.alternatives.needOption))
      .addChoices(
        ...ALTERNATIVE_FILTERS.map((f) => ({ name: en.needs[f], name_localizations: { fr: fr.needs[f] }, value: f })),
      ),
  )
  .addBooleanOption(shareOption((m) => m.alternatives));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const need = interaction.options.getString(en.alternatives.needOptionName);
  const share = wantsShare(interaction);
  const view = { filter: isAlternativeFilter(need) ? need : null, page: 0 };
  await sendReply(interaction, renderAlternatives(ctx.kb.current, view, locale, { shared: share }), !share);
}

export const components: Record<string, ComponentHandler> = viewButtons({
  decode: decodeAlternativesView,
  render: renderAlternatives,
});
