import { gzipSync } from 'node:zlib';
import { InteractionContextType, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { hasStaffRole } from '../src/bot/permissions.js';
import { NO_PINGS, sendCooldown, sendNotice } from '../src/bot/respond.js';
import { LIMITS } from '../src/cooldowns.js';
import type { BotContext } from '../src/bot/types.js';
import { en } from '../src/i18n/en.js';
import { formatCount, localeFromDiscord, localizations, messages } from '../src/i18n/index.js';
import { csvExport, statsMessage, statsStrings } from '../src/stats/index.js';
import { withImpact } from '../src/render/impact.js';

const DEFAULT_UPLOAD_LIMIT = 8 * 1024 * 1024;

export const data = new SlashCommandBuilder()
  .setName(statsStrings.en.name)
  .setNameLocalizations({ fr: statsStrings.fr.name })
  .setDescription(statsStrings.en.description)
  .setDescriptionLocalizations({ fr: statsStrings.fr.description })
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) =>
    s
      .setName(en.stats.showName)
      .setNameLocalizations(localizations((m) => m.stats.showName))
      .setDescription(en.stats.showDescription)
      .setDescriptionLocalizations(localizations((m) => m.stats.showDescription)),
  )
  .addSubcommand((s) =>
    s
      .setName(statsStrings.en.exportName)
      .setNameLocalizations({ fr: statsStrings.fr.exportName })
      .setDescription(statsStrings.en.exportDescription)
      .setDescriptionLocalizations({ fr: statsStrings.fr.exportDescription }),
  );

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function exportCsv(interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const m = messages(locale);
  const s = statsStrings[locale];
  // Rows stream from the store in batches; discord.js needs the whole file to upload it.
  const file = csvExport(ctx.pledges.pledges(interaction.guildId), { guildId: interaction.guildId, now: ctx.clock(), locale });
  const csv = await collect(file.stream);
  const rows = Math.max(0, csv.toString('utf8').split('\r\n').length - 2);
  const limit = interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT;
  let attachment = { attachment: csv, name: file.name };
  let note = '';
  if (csv.length > limit) {
    const gz = gzipSync(csv);
    if (gz.length > limit) return void (await interaction.editReply({ content: m.stats.exportTooLarge, allowedMentions: NO_PINGS }));
    attachment = { attachment: gz, name: `${file.name}.gz` };
    note = `\n${m.stats.exportCompressed}`;
  }
  await interaction.editReply({
    content: `${s.export.done(formatCount(rows, locale))}${note}`,
    files: [attachment],
    allowedMentions: NO_PINGS,
  });
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.inGuild()) return;
  const locale = localeFromDiscord(interaction.locale);
  const settings = await ctx.settings.get(interaction.guildId);
  if (!hasStaffRole(interaction, settings.organizerRoleId)) return sendNotice(interaction, messages(locale).stats.notAllowed);
  if (interaction.options.getSubcommand() === statsStrings.en.exportName) {
    const allowed = ctx.cooldowns.take([
      { key: `export:${interaction.guildId}:${interaction.user.id}`, limit: LIMITS.statsExportPerMember },
      { key: `export:${interaction.guildId}`, limit: LIMITS.statsExportPerServer },
    ]);
    if (!allowed.ok) return sendCooldown(interaction, allowed.retryAt, messages(locale).errors.cooldown);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    return exportCsv(interaction, ctx);
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const [totals, campaign] = await Promise.all([ctx.pledges.totals(interaction.guildId), ctx.pledges.campaignTotals()]);
  const { reply: plain, files } = await statsMessage({
    totals,
    campaign,
    now: ctx.clock(),
    locale,
    guildId: interaction.guildId,
    ...(interaction.guild ? { guildName: interaction.guild.name } : {}),
  });
  const reply = withImpact(plain, totals.counted, locale, ctx.kb.current.campaign);
  await interaction.editReply({
    content: reply.content ?? '',
    embeds: reply.embeds,
    components: reply.components,
    files: files.map((f) => ({ attachment: f.data, name: f.name })),
    allowedMentions: NO_PINGS,
  });
}
