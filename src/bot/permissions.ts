import { PermissionFlagsBits, type Interaction } from 'discord.js';

/** Manage Server, or the role a server's moderators configured. Checked at run time: admins can override command visibility. */
export function hasStaffRole(interaction: Interaction, roleId: string | null): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  if (!roleId || !interaction.member) return false;
  const roles = interaction.member.roles;
  return Array.isArray(roles) ? roles.includes(roleId) : roles.cache.has(roleId);
}
