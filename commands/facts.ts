import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { shareOption } from '../src/bot/commandOptions.js';
import { sendChoices, sendReply, wantsShare } from '../src/bot/respond.js';
import type { BotContext, ComponentHandler } from '../src/bot/types.js';
import { showView, viewButtons } from '../src/bot/views.js';
import { en } from '../src/i18n/en.js';
import { localeFromDiscord, localizations } from '../src/i18n/index.js';
import { closestTopics, findTopic, searchTopics } from '../src/kb/search.js';
import { decodeFactsView, renderFactsOverview, renderFactsView, renderTopic, renderUnknownTopic } from '../src/render/facts.js';
import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';

export const data = new SlashCommandBuilder()
  .setName(en.facts.name)
  .setNameLocalizations(localizations((m) => m.facts.name))
  .setDescription(en.facts.description)
  .setDescriptionLocalizations(localizations((m) => m.facts.description))
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName(en.facts.topicOptionName)
      .setNameLocalizations(localizations((m) => m.facts.topicOptionName))
      .setDescription(en.facts.topicOption)
      .setDescriptionLocalizations(localizations((m) => m.facts.topicOption))
      .setMaxLength(100)
      .setAutocomplete(true),
  )
  .addBooleanOption(shareOption((m) => m.facts));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const kb = ctx.kb.current;
  const share = wantsShare(interaction);
  const audience = { shared: share } as const;
  const query = interaction.options.getString(en.facts.topicOptionName)?.trim();
  let reply;
  if (!query) reply = renderFactsOverview(kb, locale, 0, audience);
  else {
    const topic = findTopic(kb, query);
    reply = topic
      ? renderTopic(kb, topic, locale, 0, audience)
      : renderUnknownTopic(kb, query, closestTopics(kb, query, 3), locale, audience);
  }
  await sendReply(interaction, reply, !share);
}

export async function autocomplete(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const typed = String(interaction.options.getFocused());
  const found = searchTopics(ctx.kb.current, typed, locale, 25);
  await sendChoices(interaction, found);
}

const pickTopic: ComponentHandler = async (interaction, _args, ctx) => {
  const locale = localeFromDiscord(interaction.locale);
  const topicId = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
  await showView(interaction, renderFactsView(ctx.kb.current, { kind: 'topic', topicId: topicId ?? '', page: 0 }, locale, { shared: false }));
};

export const components: Record<string, ComponentHandler> = {
  ...viewButtons({ decode: decodeFactsView, render: renderFactsView }),
  topic: pickTopic,
};
