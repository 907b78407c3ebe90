// Answers follow the member's Discord locale: French for any fr* locale, English otherwise.
import type { Locale } from '../kb/schema.js';
import { en, type Messages } from './en.js';
import { fr } from './fr.js';

export type { Messages, Locale };

const catalogues: Record<Locale, Messages> = { en, fr };

export function messages(locale: Locale): Messages {
  return catalogues[locale];
}

export function localeFromDiscord(discordLocale: string | null | undefined): Locale {
  return discordLocale?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** Discord's own locale keys for command localizations. */
export const DISCORD_LOCALES: Record<Exclude<Locale, 'en'>, string> = { fr: 'fr' };

/** `name_localizations` / `description_localizations` for a command string picked from the catalogues. */
export function localizations(pick: (m: Messages) => string): Record<string, string> {
  return { fr: pick(fr) };
}

// Intl formatters are built once per locale: each one costs tens of microseconds and native (ICU)
// memory that V8's heap limits do not see, so one per call grows the process under load.
const countFormats: Record<Locale, Intl.NumberFormat> = {
  en: new Intl.NumberFormat('en-US'),
  fr: new Intl.NumberFormat('fr-FR'),
};

/** "12,345" / "12 345": counts as each language writes them. */
export function formatCount(n: number, locale: Locale): string {
  return countFormats[locale].format(n);
}

const usdFormat: Record<Locale, Intl.NumberFormat> = {
  en: new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }),
  fr: new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }),
};

/** "$12.5 million" / "12,5 millions de dollars": how the campaign's figures are quoted in each language. */
export function formatUsd(amount: number, locale: Locale, opts: { moreThan?: boolean } = {}): string {
  const n = usdFormat[locale];
  let text: string;
  if (amount >= 1e9) {
    const v = n.format(amount / 1e9);
    text = locale === 'fr' ? `${v} milliard${amount >= 2e9 ? 's' : ''} de dollars` : `$${v} billion`;
  } else if (amount >= 1e6) {
    const v = n.format(amount / 1e6);
    text = locale === 'fr' ? `${v} million${amount >= 2e6 ? 's' : ''} de dollars` : `$${v} million`;
  } else {
    const v = formatCount(amount, locale);
    text = locale === 'fr' ? `${v} $` : `$${v}`;
  }
  if (!opts.moreThan) return text;
  return locale === 'fr' ? `plus de ${text}` : `more than ${text}`;
}
