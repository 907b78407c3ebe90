// One error boundary for every interaction: the member gets a reference, the log gets the stack.
import { randomBytes } from 'node:crypto';
import { DiscordAPIError, RESTJSONErrorCodes, type Interaction } from 'discord.js';
import { localeFromDiscord, messages } from '../i18n/index.js';
import type { Logger } from '../log.js';
import { sendNotice } from './respond.js';

/** Discord's way of saying the member has gone or another handler answered first: nothing to tell anyone. */
const BENIGN_CODES = new Set<number | string>([
  RESTJSONErrorCodes.UnknownInteraction,
  RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
]);

export function isBenignDiscordError(err: unknown): err is DiscordAPIError {
  return err instanceof DiscordAPIError && BENIGN_CODES.has(err.code);
}

export function newRef(): string {
  return randomBytes(4).toString('hex');
}

export async function reportInteractionError(interaction: Interaction, err: unknown, log: Logger): Promise<string | null> {
  if (isBenignDiscordError(err)) {
    log.warn({ code: err.code, interactionId: interaction.id }, 'interaction could not be answered (expired or already acknowledged)');
    return null;
  }
  const ref = newRef();
  log.error({ err, ref, interactionId: interaction.id }, 'interaction handler failed');
  try {
    if (interaction.isAutocomplete()) {
      if (!interaction.responded) await interaction.respond([]);
    } else if (interaction.isRepliable()) {
      await sendNotice(interaction, messages(localeFromDiscord(interaction.locale)).errors.generic(ref));
    }
  } catch (replyErr) {
    // The member may be gone or the token expired; the ref is in the log either way.
    log.warn({ err: replyErr, ref }, 'could not tell the member about the error');
  }
  return ref;
}
