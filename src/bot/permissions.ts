import { PermissionFlagsBits, type GuildBasedChannel, type Interaction } from 'discord.js';

/** Manage Server, or the role a server's moderators configured. Checked at run time: admins can override command visibility. */
export function hasStaffRole(interaction: Interaction, roleId: string | null): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  if (!roleId || !interaction.member) return false;
  const roles = interaction.member.roles;
  return Array.isArray(roles) ? roles.includes(roleId) : roles.cache.has(roleId);
}

/** What the bot must be able to do in a channel it posts cards, announcements or logs in. */
export const POSTING_PERMISSIONS = ['ViewChannel', 'SendMessages', 'EmbedLinks', 'AttachFiles'] as const;
export type PostingPermission = (typeof POSTING_PERMISSIONS)[number];

/**
 * The bot's missing posting permissions in a channel, including Discord's implicit denials that
 * discord.js's permissionsFor leaves out (no View Channel means nothing else works either).
 */
export function missingPostingPermissions(channel: GuildBasedChannel): PostingPermission[] {
  const me = channel.guild.members.me;
  const perms = me ? channel.permissionsFor(me) : null;
  if (!perms) return [...POSTING_PERMISSIONS];
  if (!perms.has(PermissionFlagsBits.ViewChannel)) return [...POSTING_PERMISSIONS];
  return POSTING_PERMISSIONS.filter((p) => !perms.has(PermissionFlagsBits[p]));
}
