/**
 * Discord permission bits and the channel permission algorithm, written out independently of
 * discord.js so the simulator does not grade the client with the client's own arithmetic.
 */

export const Permissions = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewAuditLog: 1n << 7n,
  PrioritySpeaker: 1n << 8n,
  Stream: 1n << 9n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  SendTTSMessages: 1n << 12n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  ViewGuildInsights: 1n << 19n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  MuteMembers: 1n << 22n,
  DeafenMembers: 1n << 23n,
  MoveMembers: 1n << 24n,
  UseVAD: 1n << 25n,
  ChangeNickname: 1n << 26n,
  ManageNicknames: 1n << 27n,
  ManageRoles: 1n << 28n,
  ManageWebhooks: 1n << 29n,
  ManageGuildExpressions: 1n << 30n,
  UseApplicationCommands: 1n << 31n,
  RequestToSpeak: 1n << 32n,
  ManageEvents: 1n << 33n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  CreatePrivateThreads: 1n << 36n,
  UseExternalStickers: 1n << 37n,
  SendMessagesInThreads: 1n << 38n,
  UseEmbeddedActivities: 1n << 39n,
  ModerateMembers: 1n << 40n,
  ViewCreatorMonetizationAnalytics: 1n << 41n,
  UseSoundboard: 1n << 42n,
  CreateGuildExpressions: 1n << 43n,
  CreateEvents: 1n << 44n,
  UseExternalSounds: 1n << 45n,
  SendVoiceMessages: 1n << 46n,
  SendPolls: 1n << 49n,
  UseExternalApps: 1n << 50n,
  PinMessages: 1n << 51n,
  BypassSlowmode: 1n << 52n,
} as const;

export type PermissionName = keyof typeof Permissions;

export const ALL_PERMISSIONS: bigint = Object.values(Permissions).reduce((all, bit) => all | bit, 0n);

/** Accepted wherever a test gives permissions: a bitfield, a decimal string, or flag names. */
export type PermissionInput = bigint | number | string | readonly PermissionName[];

export function resolvePermissions(input: PermissionInput | undefined): bigint {
  if (input === undefined) return 0n;
  if (typeof input === 'bigint') return input;
  if (typeof input === 'number') return BigInt(input);
  if (typeof input === 'string') {
    if (!/^\d+$/.test(input)) throw new RangeError(`permissions string must be decimal, got ${input}`);
    return BigInt(input);
  }
  return input.reduce((all, name) => all | Permissions[name], 0n);
}

/** What a freshly invited bot typically gets through its managed role. */
export const DEFAULT_BOT_PERMISSIONS: bigint =
  Permissions.ViewChannel |
  Permissions.SendMessages |
  Permissions.SendMessagesInThreads |
  Permissions.EmbedLinks |
  Permissions.AttachFiles |
  Permissions.ReadMessageHistory |
  Permissions.AddReactions |
  Permissions.UseExternalEmojis |
  Permissions.UseApplicationCommands;

/** Discord's default @everyone permissions for a new server. */
export const DEFAULT_EVERYONE_PERMISSIONS: bigint =
  Permissions.CreateInstantInvite |
  Permissions.AddReactions |
  Permissions.Stream |
  Permissions.ViewChannel |
  Permissions.SendMessages |
  Permissions.SendTTSMessages |
  Permissions.EmbedLinks |
  Permissions.AttachFiles |
  Permissions.ReadMessageHistory |
  Permissions.MentionEveryone |
  Permissions.UseExternalEmojis |
  Permissions.Connect |
  Permissions.Speak |
  Permissions.UseVAD |
  Permissions.ChangeNickname |
  Permissions.UseApplicationCommands |
  Permissions.RequestToSpeak |
  Permissions.CreatePublicThreads |
  Permissions.CreatePrivateThreads |
  Permissions.UseExternalStickers |
  Permissions.SendMessagesInThreads |
  Permissions.UseEmbeddedActivities |
  Permissions.UseSoundboard |
  Permissions.UseExternalSounds |
  Permissions.SendVoiceMessages |
  Permissions.SendPolls |
  Permissions.UseExternalApps;

/** Permissions an app has in a DM with a user (no roles or overwrites exist there). */
export const DM_PERMISSIONS: bigint =
  Permissions.AddReactions |
  Permissions.ViewChannel |
  Permissions.SendMessages |
  Permissions.SendTTSMessages |
  Permissions.EmbedLinks |
  Permissions.AttachFiles |
  Permissions.ReadMessageHistory |
  Permissions.MentionEveryone |
  Permissions.UseExternalEmojis |
  Permissions.UseApplicationCommands |
  Permissions.UseExternalStickers |
  Permissions.SendVoiceMessages |
  Permissions.SendPolls |
  Permissions.UseExternalApps;

export interface OverwriteData {
  id: string;
  /** 0 = role, 1 = member, as on the wire. */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface PermissionContext {
  guildId: string;
  ownerId: string;
  userId: string;
  /** Role ids of the member, not including @everyone. */
  memberRoleIds: readonly string[];
  rolePermissions: ReadonlyMap<string, bigint>;
  overwrites?: readonly OverwriteData[];
  /** Text-like channels lose send-dependent permissions when sending is denied. */
  textChannel?: boolean;
}

export function basePermissions(ctx: PermissionContext): bigint {
  if (ctx.userId === ctx.ownerId) return ALL_PERMISSIONS;
  let perms = ctx.rolePermissions.get(ctx.guildId) ?? 0n;
  for (const roleId of ctx.memberRoleIds) perms |= ctx.rolePermissions.get(roleId) ?? 0n;
  if (perms & Permissions.Administrator) return ALL_PERMISSIONS;
  return perms;
}

/** The documented algorithm: base, then @everyone, role and member overwrites, then implicit denials. */
export function computePermissions(ctx: PermissionContext): bigint {
  let perms = basePermissions(ctx);
  if (perms === ALL_PERMISSIONS || !ctx.overwrites) return perms;

  const everyone = ctx.overwrites.find((o) => o.type === 0 && o.id === ctx.guildId);
  if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;

  let roleAllow = 0n;
  let roleDeny = 0n;
  for (const o of ctx.overwrites) {
    if (o.type === 0 && ctx.memberRoleIds.includes(o.id)) {
      roleAllow |= o.allow;
      roleDeny |= o.deny;
    }
  }
  perms = (perms & ~roleDeny) | roleAllow;

  const member = ctx.overwrites.find((o) => o.type === 1 && o.id === ctx.userId);
  if (member) perms = (perms & ~member.deny) | member.allow;

  if (!(perms & Permissions.ViewChannel)) return 0n;
  if (ctx.textChannel && !(perms & Permissions.SendMessages)) {
    perms &= ~(
      Permissions.SendTTSMessages |
      Permissions.MentionEveryone |
      Permissions.EmbedLinks |
      Permissions.AttachFiles
    );
  }
  return perms;
}

export function permissionNames(bits: bigint): PermissionName[] {
  return (Object.keys(Permissions) as PermissionName[]).filter((name) => (bits & Permissions[name]) !== 0n);
}
