import { InteractionContextType, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { NO_PINGS } from '../src/bot/respond.js';
import type { BotContext } from '../src/bot/types.js';
import { localeFromDiscord } from '../src/i18n/index.js';
import { milestonesOverviewMessage, milestonesStrings } from '../src/milestones/index.js';
import { withImpact } from '../src/render/impact.js';

export const data = new SlashCommandBuilder()
  .setName(milestonesStrings.en.name)
  .setNameLocalizations({ fr: milestonesStrings.fr.name })
  .setDescription(milestonesStrings.en.description)
  .setDescriptionLocalizations({ fr: milestonesStrings.fr.description })
  .setContexts(InteractionContextType.Guild);

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.inGuild()) return;
  // Rendering the progress picture can take longer than Discord's 3-second window on a busy machine.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const [guildTotals, campaignTotals, settings] = await Promise.all([
    ctx.pledges.totals(interaction.guildId),
    ctx.pledges.campaignTotals(),
    ctx.settings.get(interaction.guildId),
  ]);
  const locale = localeFromDiscord(interaction.locale);
  const { reply: plain, files } = await milestonesOverviewMessage({ guildTotals, campaignTotals, settings, timeline: ctx.kb.current.timeline, locale });
  const reply = withImpact(plain, guildTotals.counted, locale, ctx.kb.current.campaign);
  await interaction.editReply({
    content: reply.content ?? '',
    embeds: reply.embeds,
    components: reply.components,
    files: files.map((f) => ({ attachment: f.data, name: f.name })),
    allowedMentions: NO_PINGS,
  });
}
