/** Local Discord simulator for end-to-end tests. See docs/simulator.md. */
export {
  DiscordSimulator,
  type ChannelSpec,
  type CreatedGuild,
  type GuildSpec,
  type MemberSpec,
  type OverwriteSpec,
  type PrivilegedIntentName,
  type RoleSpec,
  type SimInteractions,
  type SimulatorOptions,
  type SimUser,
  type UserSpec,
} from './simulator.js';
export type { CdnAsset, CdnBehavior, CdnRegisterOptions, CdnRequest, SimCdn } from './cdn.js';
export type { SimClock } from './clock.js';
export { DiscordApiError, SimUsageError } from './errors.js';
export type { Fault, FaultSpec } from './faults.js';
export { GatewayIntents, GatewayOpcodes, type ConnectionRecord, type GatewayLogEntry, type SessionInfo, type SimGateway } from './gateway.js';
export {
  CallbackTypes,
  InteractionTypes,
  type AttachmentInput,
  type AutocompleteInput,
  type ButtonInput,
  type InteractionHandle,
  type ModalSubmitInput,
  type SelectInput,
  type SlashInput,
  type SlashOptionValue,
} from './interactions.js';
export type { JsonObject, JsonValue } from './json.js';
export { ALL_PERMISSIONS, Permissions, permissionNames, type PermissionInput, type PermissionName } from './permissions.js';
export { ChannelTypes } from './state.js';
export type * from './types.js';
