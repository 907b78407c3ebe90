import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import { shareOption } from '../src/bot/commandOptions.js';
import { sendChoices, sendReply, wantsShare } from '../src/bot/respond.js';
import type { BotContext, ComponentHandler } from '../src/bot/types.js';
import { showView, viewButtons } from '../src/bot/views.js';
import { en } from '../src/i18n/en.js';
import { localeFromDiscord, localizations } from '../src/i18n/index.js';
import { findDonor, searchDonors } from '../src/kb/search.js';
import { decodeDonorsView, renderDonor, renderDonorList, renderDonorsView, renderUnknownDonor } from '../src/render/donors.js';

export const data = new SlashCommandBuilder()
  .setName(en.donors.name)
  .setNameLocalizations(localizations((m) => m.donors.name))
  .setDescription(en.donors.description)
  .setDescriptionLocalizations(localizations((m) => m.donors.description))
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName(en.donors.donorOptionName)
      .setNameLocalizations(localizations((m) => m.donors.donorOptionName))
      .setDescription(en.donors.donorOption)
      .setDescriptionLocalizations(localizations((m) => m.donors.donorOption))
      .setMaxLength(100)
      .setAutocomplete(true),
  )
  .addBooleanOption(shareOption((m) => m.donors));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const kb = ctx.kb.current;
  const share = wantsShare(interaction);
  const audience = { shared: share } as const;
  const query = interaction.options.getString(en.donors.donorOptionName)?.trim();
  let reply;
  if (!query) reply = renderDonorList(kb, locale, 0, audience);
  else {
    const donor = findDonor(kb, query);
    reply = donor ? renderDonor(kb, donor, locale, audience) : renderUnknownDonor(kb, query, locale, audience);
  }
  await sendReply(interaction, reply, !share);
}

export async function autocomplete(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  const typed = String(interaction.options.getFocused());
  const found = searchDonors(ctx.kb.current, typed, 25);
  await sendChoices(interaction, found);
}

const pickDonor: ComponentHandler = async (interaction, _args, ctx) => {
  const locale = localeFromDiscord(interaction.locale);
  const donorId = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
  await showView(interaction, renderDonorsView(ctx.kb.current, { kind: 'donor', donorId: donorId ?? '' }, locale, { shared: false }));
};

export const components: Record<string, ComponentHandler> = {
  ...viewButtons({ decode: decodeDonorsView, render: renderDonorsView }),
  pick: pickDonor,
};
