import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { shareOption } from '../src/bot/commandOptions.js';
import { sendReply, sendNotice, wantsShare } from '../src/bot/respond.js';
import type { BotContext, ComponentHandler } from '../src/bot/types.js';
import { displayName, showView } from '../src/bot/views.js';
import { en } from '../src/i18n/en.js';
import { fr } from '../src/i18n/fr.js';
import { localeFromDiscord, localizations, messages } from '../src/i18n/index.js';
import { GUIDE_IDS, isGuideId } from '../src/kb/guides.js';
import { decodeQuitView, pledgeHandoffText, renderQuitView, type QuitView } from '../src/render/quit.js';

export const data = new SlashCommandBuilder()
  .setName(en.quit.name)
  .setNameLocalizations(localizations((m) => m.quit.name))
  .setDescription(en.quit.description)
  .setDescriptionLocalizations(localizations((m) => m.quit.description))
  .setContexts(InteractionContextType.Guild)
  .addStringOption((o) =>
    o
      .setName(en.quit.guideOptionName)
      .setNameLocalizations(localizations((m) => m.quit.guideOptionName))
      .setDescription(en.quit.guideOption)
      .setDescriptionLocalizations(localizations((m) => m.quit.guideOption))
      .addChoices(...GUIDE_IDS.map((id) => ({ name: en.quit.guides[id], name_localizations: { fr: fr.quit.guides[id] }, value: id }))),
  )
  .addBooleanOption(shareOption((m) => m.quit));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const share = wantsShare(interaction);
  const chosen = interaction.options.getString(en.quit.guideOptionName);
  const view: QuitView = isGuideId(chosen) ? { kind: 'guide', id: chosen } : { kind: 'overview' };
  const reply = renderQuitView(ctx.kb.current, view, locale, share ? { shared: true } : { shared: false });
  if (!reply) return sendNotice(interaction, messages(locale).quit.noGuides);
  await sendReply(interaction, reply, !share);
}

/** Another guide: in place on the member's private message, privately below a public one. */
const guide: ComponentHandler = async (interaction, args, ctx) => {
  const locale = localeFromDiscord(interaction.locale);
  const view = decodeQuitView(args[0]);
  if (!view) return sendNotice(interaction, messages(locale).errors.staleComponent);
  await showView(interaction, renderQuitView(ctx.kb.current, view, locale, { shared: false }));
};

/** "I've cancelled": a new private answer, so the guide stays on screen while the member types the command. */
const pledge: ComponentHandler = async (interaction, args) => {
  const locale = localeFromDiscord(interaction.locale);
  await sendNotice(interaction, pledgeHandoffText(decodeQuitView(args[0]), locale));
};

const share: ComponentHandler = async (interaction, args, ctx) => {
  const locale = localeFromDiscord(interaction.locale);
  const view = decodeQuitView(args[0]);
  if (!view) return sendNotice(interaction, messages(locale).errors.staleComponent);
  const reply = renderQuitView(ctx.kb.current, view, locale, { shared: true, sharedBy: displayName(interaction) });
  if (!reply) return sendNotice(interaction, messages(locale).errors.kbMissingEntry);
  await sendReply(interaction, reply, false);
};

export const components: Record<string, ComponentHandler> = { guide, pledge, share };
