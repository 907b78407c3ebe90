// The seams between the composition root and the command/event files.
import type {
  AnySelectMenuInteraction,
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  ClientEvents,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Config } from '../config.js';
import type { KnowledgeBaseHolder } from '../kb/holder.js';
import type { Cooldowns } from '../cooldowns.js';
import type { Logger } from '../log.js';
import type { Milestones } from '../milestones/index.js';
import type { PledgeService } from '../pledges/index.js';
import type { ReviewCards } from '../pledges/reviewCards.js';
import type { SettingsService } from '../settings/index.js';
import type { Store } from '../store/index.js';
import type { CheckReplies, PledgeChecks } from '../verification/index.js';

/** Everything a handler may use, passed explicitly so tests can run the real thing or swap a part. */
export type BotContext = {
  config: Config;
  log: Logger;
  kb: KnowledgeBaseHolder;
  store: Store;
  settings: SettingsService;
  pledges: PledgeService;
  milestones: Milestones;
  reviewCards: ReviewCards;
  /** The automatic screenshot check (off when OCR_WORKERS=0) and where its verdicts are shown. */
  checks: PledgeChecks;
  checkReplies: CheckReplies;
  cooldowns: Cooldowns;
  clock: () => Date;
  commands: ReadonlyMap<string, CommandModule>;
};

export type ComponentInteraction = ButtonInteraction | AnySelectMenuInteraction | ModalSubmitInteraction;

/** Receives the custom_id's arguments after `<command>:<action>:<version>`. */
export type ComponentHandler = (interaction: ComponentInteraction, args: string[], ctx: BotContext) => Promise<void>;

export type CommandModule = {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
  components?: Record<string, ComponentHandler>;
};

export type EventModule<K extends keyof ClientEvents = keyof ClientEvents> = {
  name: K;
  once?: boolean;
  execute(ctx: BotContext, ...args: ClientEvents[K]): Promise<void> | void;
};

/** Lets an event file keep its argument types while the loader treats all events alike. */
export function defineEvent<K extends keyof ClientEvents>(event: EventModule<K>): EventModule<K> {
  return event;
}
