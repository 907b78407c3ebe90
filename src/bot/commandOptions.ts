// Option builders shared by the knowledge-base commands, localized from the catalogues.
import type { SlashCommandBooleanOption } from 'discord.js';
import { en } from '../i18n/en.js';
import { localizations, type Messages } from '../i18n/index.js';

type WithShare = { shareOptionName: string; shareOption: string };

export function shareOption(pick: (m: Messages) => WithShare) {
  return (o: SlashCommandBooleanOption) =>
    o
      .setName(pick(en).shareOptionName)
      .setNameLocalizations(localizations((m) => pick(m).shareOptionName))
      .setDescription(pick(en).shareOption)
      .setDescriptionLocalizations(localizations((m) => pick(m).shareOption));
}
