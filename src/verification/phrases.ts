// What a cancelled ChatGPT subscription looks like on screen, in English and French, written without
// accents (text.ts folds them). Sources: the ChatGPT web settings and OpenAI's Stripe billing page,
// the App Store subscriptions screens on iOS, and Google Play's subscriptions screens.
//
// Tolerance: by default text.ts's defaultTolerance (0 edits up to 6 letters, 1 up to 11, 2 above).
// Some words sit one edit away from a word with the opposite meaning, and those are pinned to 0:
// "annuler" (the button on an active plan) vs "annulee" (cancelled), "cancels" vs "cancel",
// "expire" vs "expirer". tests/verification/score.test.ts checks that no phrase of one category
// can match a phrase of an opposing one.

export type Phrase = {
  text: string;
  /** Maximum edit distance over the whole phrase (letters only); defaults by length. */
  tolerance?: number;
  /** Also found inside a longer token ("ChatGPTPlus", "@OpenAI"): only for distinctive brand names. */
  substring?: boolean;
};

export type PlaceKind = 'openai-web' | 'app-store' | 'google-play' | 'generic';
export type PlacePhrase = Phrase & { place: PlaceKind; strong: boolean };

const p = (text: string, tolerance?: number): Phrase => (tolerance === undefined ? { text } : { text, tolerance });

/** The product. "Plus", "Pro" and "Team" alone are everywhere (Disney+, Pro plans): they count only after ChatGPT. */
export const PRODUCT: readonly Phrase[] = [
  { text: 'chatgpt', substring: true },
  { text: 'openai', substring: true },
  p('chatgpt plus'),
  p('chatgpt pro'),
  p('chatgpt team'),
  p('chatgpt business'),
  p('chatgpt enterprise'),
  p('chatgpt go'),
  p('open ai'),
];

/**
 * Wording that only appears once a subscription is cancelled (or has lapsed): past tense, "will not
 * renew", an end or expiry date, or the offer to subscribe again. "Cancel plan" is not here: that
 * button is on every active subscription.
 */
export const CANCEL_STATE: readonly Phrase[] = [
  // English
  p('canceled'),
  p('cancelled'),
  p('cancels', 0),
  p('has been canceled'),
  p('has been cancelled'),
  p('will be canceled'),
  p('will be cancelled'),
  p('set to cancel'),
  p('cancellation confirmed'),
  p('subscription canceled'),
  p('subscription cancelled'),
  p('will not renew'),
  p('won t renew'),
  p('will not be renewed'),
  p('does not renew'),
  p('not renewing'),
  p('ends on'),
  p('ending on'),
  p('will end on'),
  p('expires', 0),
  p('expires on'),
  p('expired', 0),
  p('will expire'),
  p('resubscribe'),
  p('renew plan'),
  p('renew subscription'),
  p('restart subscription'),
  p('reactivate'),
  // French
  p('annule', 0),
  p('annulee', 0),
  p('resilie', 0),
  p('resiliee', 0),
  p('a ete annule'),
  p('a ete annulee'),
  p('a ete resilie'),
  p('a ete resiliee'),
  p('sera annule'),
  p('sera annulee'),
  p('sera resilie'),
  p('sera resiliee'),
  p('ne sera pas renouvele'),
  p('ne sera pas renouvelee'),
  p('ne se renouvellera pas'),
  p('non renouvele'),
  p('expire le'),
  p('expirera le'),
  p('expire', 0),
  p('expirera', 0),
  p('expiree', 0),
  p('prend fin le'),
  p('prendra fin le'),
  p('se termine le'),
  p('se terminera le'),
  // One edit from "se desabonner" (the unsubscribe button) at the default tolerance.
  p('se reabonner', 1),
  p('reabonner', 1),
  p('renouveler l abonnement'),
  p('renouveler le forfait'),
  p('reactiver'),
];

/** The same families of words on a subscription that is still running. Near the product, it outweighs. */
export const ACTIVE: readonly Phrase[] = [
  p('renews', 0),
  p('renews on'),
  p('auto renews'),
  p('will renew'),
  p('will auto renew'),
  p('next payment'),
  p('next billing'),
  p('next billing date'),
  p('renewal date'),
  p('se renouvelle'),
  p('se renouvellera le'),
  p('sera renouvele le'),
  p('sera renouvelee le'),
  p('renouvellement automatique'),
  p('renouvellement le'),
  p('prochain paiement'),
  p('prochaine facturation'),
  p('prochain prelevement'),
];

/** Intent or the cancel button: the member is in the right place, not proof that it was done. */
export const ACT: readonly Phrase[] = [
  p('cancel', 0),
  p('cancel plan'),
  p('cancel subscription'),
  p('cancel membership'),
  p('unsubscribe'),
  p('annuler', 0),
  p('annuler l abonnement'),
  p('annuler le forfait'),
  p('resilier', 0),
  p('resilier l abonnement'),
  p('se desabonner'),
  p('desabonner'),
];

export const PLACE: readonly PlacePhrase[] = [
  // ChatGPT web settings and OpenAI's billing page
  { text: 'manage subscription', place: 'openai-web', strong: true },
  { text: 'manage my subscription', place: 'openai-web', strong: true },
  { text: 'my plan', place: 'openai-web', strong: true },
  { text: 'current plan', place: 'openai-web', strong: true },
  { text: 'cancel plan', place: 'openai-web', strong: true },
  { text: 'billing', place: 'openai-web', strong: false },
  { text: 'openai llc', place: 'openai-web', strong: true },
  { text: 'gerer l abonnement', place: 'openai-web', strong: true },
  { text: 'gerer mon abonnement', place: 'openai-web', strong: true },
  { text: 'mon forfait', place: 'openai-web', strong: true },
  { text: 'forfait actuel', place: 'openai-web', strong: true },
  { text: 'facturation', place: 'openai-web', strong: false },
  // App Store
  { text: 'edit subscription', place: 'app-store', strong: true },
  { text: 'cancel subscription', place: 'app-store', strong: true },
  { text: 'app store', place: 'app-store', strong: true },
  { text: 'apple id', place: 'app-store', strong: true },
  { text: 'select an option', place: 'app-store', strong: true },
  { text: 'modifier l abonnement', place: 'app-store', strong: true },
  { text: 'selectionnez une option', place: 'app-store', strong: true },
  { text: 'identifiant apple', place: 'app-store', strong: true },
  // Google Play
  { text: 'google play', place: 'google-play', strong: true },
  { text: 'play store', place: 'google-play', strong: true },
  { text: 'payments subscriptions', place: 'google-play', strong: true },
  { text: 'paiements et abonnements', place: 'google-play', strong: true },
  { text: 'manage payment methods', place: 'google-play', strong: true },
  // Any of them
  { text: 'subscriptions', place: 'generic', strong: false },
  { text: 'subscription', place: 'generic', strong: false },
  { text: 'abonnements', place: 'generic', strong: false },
  { text: 'abonnement', place: 'generic', strong: false },
  { text: 'settings', place: 'generic', strong: false },
  { text: 'parametres', place: 'generic', strong: false },
  { text: 'reglages', place: 'generic', strong: false },
  { text: 'account', place: 'generic', strong: false },
  { text: 'compte', place: 'generic', strong: false },
  { text: 'plan', place: 'generic', strong: false },
  { text: 'forfait', place: 'generic', strong: false },
  { text: 'monthly', place: 'generic', strong: false },
  { text: 'mensuel', place: 'generic', strong: false },
  { text: 'per month', place: 'generic', strong: false },
  { text: 'par mois', place: 'generic', strong: false },
];

/**
 * The chat itself (composer, disclaimer): a conversation *about* cancelling carries every word of a
 * cancelled plan, so a screenshot of one is never proof.
 */
export const CHAT: readonly Phrase[] = [
  p('message chatgpt'),
  p('ask anything'),
  p('chatgpt can make mistakes'),
  p('can make mistakes'),
  p('check important info'),
  p('what can i help with'),
  p('poser une question'),
  p('posez une question'),
  p('envoyer un message a chatgpt'),
  p('peut commettre des erreurs'),
  p('peut faire des erreurs'),
  p('verifier les informations importantes'),
  p('comment puis je vous aider'),
];

/** Month names (EN and FR, full and short) for spotting the date that a real cancellation always shows. */
export const MONTHS: readonly string[] = [
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
  'janvier', 'fevrier', 'mars', 'avril', 'mai', 'juin', 'juillet', 'aout', 'septembre', 'octobre', 'novembre', 'decembre',
  'janv', 'fevr', 'fev', 'avr', 'juil',
];
