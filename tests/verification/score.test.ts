// Scoring is pure: text in, verdict out. These cases are written the way tesseract returns text
// (one screen line per line, misread letters, split and merged words).
import { describe, expect, it } from 'vitest';
import { ACT, ACTIVE, CANCEL_STATE, PRODUCT } from '../../src/verification/phrases.js';
import { assessText, compile, findMatches } from '../../src/verification/score.js';
import { boundedDistance, defaultTolerance, normalize, phraseTokens, tokenize } from '../../src/verification/text.js';

const verdict = (text: string, duplicate = false) => assessText(text, { duplicate }).verdict;

describe('text helpers', () => {
  it('folds accents, case, ligatures and typographic quotes', () => {
    expect(normalize('Résiliée ŒUVRE l’abonnement')).toBe("resiliee oeuvre l'abonnement");
    expect(phraseTokens('ne sera pas renouvelé')).toEqual(['ne', 'sera', 'pas', 'renouvele']);
    expect(tokenize("Won't renew\n\nÉchéance 5/3").map((t) => [t.norm, t.line])).toEqual([
      ['won', 0],
      ['t', 0],
      ['renew', 0],
      ['echeance', 1],
      ['5', 1],
      ['3', 1],
    ]);
  });

  it('bounded edit distance stops early and is exact within the bound', () => {
    expect(boundedDistance('canceled', 'cancelled', 1)).toBe(1);
    expect(boundedDistance('kitten', 'sitting', 3)).toBe(3);
    expect(boundedDistance('kitten', 'sitting', 1)).toBe(2);
    expect(boundedDistance('a', 'abcdef', 2)).toBe(3);
    expect(defaultTolerance(4)).toBe(0);
    expect(defaultTolerance(8)).toBe(1);
    expect(defaultTolerance(14)).toBe(2);
  });
});

describe('phrase lists', () => {
  // A cancel-state phrase that matched a still-active phrase or a button (or the reverse) would
  // turn an active subscription into a verified pledge: the lists must stay apart as matched.
  const asText = (phrase: string) => tokenize(phrase);
  for (const c of CANCEL_STATE) {
    it(`"${c.text}" is not found in any active/button phrase, nor they in it`, () => {
      for (const o of [...ACTIVE, ...ACT]) {
        expect(findMatches(asText(o.text), compile([c]), 'cancelled'), `${c.text} in "${o.text}"`).toEqual([]);
        // The other way, as assessText runs: cancel-state phrases claim their words first.
        const tokens = asText(c.text);
        const consumed = new Array<boolean>(tokens.length).fill(false);
        expect(findMatches(tokens, compile([c]), 'cancelled', consumed)).toHaveLength(1);
        expect(findMatches(tokens, compile([o]), 'active', consumed), `${o.text} in "${c.text}"`).toEqual([]);
      }
    });
  }

  it('the product list has the brand names', () => {
    expect(PRODUCT.map((p) => p.text)).toEqual(expect.arrayContaining(['chatgpt', 'openai']));
  });
});

describe('verified: cancelled ChatGPT subscriptions', () => {
  const cases: Array<[string, string]> = [
    ['iOS detail (EN)', '9:41\n< Subscriptions Edit Subscription\nChatGPT\nChatGPT Plus\nOpenAI\nYour subscription will expire on 5 March 2026.\nSELECT AN OPTION\nChatGPT Plus (Monthly) £19.99/month'],
    ['iOS detail expired (EN)', '< Subscriptions\nEdit Subscription\nChatGPT\nChatGPT Plus\nExpired 12 January 2026\nSELECT AN OPTION'],
    ['iOS detail (FR)', "< Abonnements Modifier l'abonnement\nChatGPT\nChatGPT Plus\nVotre abonnement expirera le 5 mars 2026.\nSÉLECTIONNEZ UNE OPTION"],
    ['iOS list, ChatGPT after a renewing app (EN)', '< Apple ID\nSubscriptions\nACTIVE\nWeather Pro\nPremium\nRenews 13 November 2026\nChatGPT\nChatGPT Plus\nExpires 13 October 2026\nINACTIVE'],
    ['iOS list, ChatGPT before a renewing app (FR)', '< Identifiant Apple\nAbonnements\nACTIFS\nChatGPT\nChatGPT Plus\nExpire le 18 mai 2026\nPhotoLab\nPro Annual\nRenouvellement le 18 juin 2026'],
    ['Google Play (EN)', '← Subscriptions\nChatGPT Plus\nChatGPT · Monthly\nCanceled\nExpires on Mar 5, 2026\nYou can use this subscription until it expires.\nResubscribe\nManage payment methods'],
    ['Google Play (FR)', '← Abonnements\nChatGPT Plus\nChatGPT · Mensuel\nAnnulé\nExpire le 5 mars 2026\nSe réabonner\nPaiements et abonnements'],
    ['ChatGPT web settings (EN)', 'Settings\nGeneral\nAccount\nSubscription\nChatGPT Plus Manage\nYour plan will be canceled on September 20, 2026.\nResubscribe\nPayment Manage subscription'],
    ['ChatGPT web settings (FR)', "Paramètres\nCompte\nAbonnement\nChatGPT Plus Gérer\nVotre abonnement ne sera pas renouvelé et prendra fin le 9 juin 2026.\nSe réabonner\nPaiement Gérer l'abonnement"],
    ['OpenAI billing (EN)', 'OpenAI\nOpenAI, LLC partners with Stripe\nCURRENT PLAN\nChatGPT Plus Subscription\n$20.00 per month\nYour plan will be canceled on March 5, 2026.\nRenew plan\nPAYMENT METHOD\nVisa •••• 4242 Expires 08/2028'],
    ['OpenAI billing (FR)', 'FORFAIT ACTUEL\nAbonnement ChatGPT Plus\n22,99 € par mois\nVotre forfait sera annulé le 5 mars 2026.\nRenouveler le forfait'],
    ['web settings behind which the chat page shows', 'New chat\nSearch chats\nSettings\nChatGPT Plus\nYour plan has been canceled and ends on May 2, 2026.\nManage subscription\nAsk anything\nChatGPT can make mistakes. Check important info.'],
    ['numeric date', 'Subscriptions\nChatGPT Plus\nCancelled - access ends on 05/03/2026'],
  ];
  for (const [name, text] of cases) {
    it(name, () => {
      const a = assessText(text);
      expect(a.missing).toEqual([]);
      expect(a.verdict).toBe('verified');
      expect(a.score).toBeGreaterThan(0.6);
      expect(a.evidence.some((e) => e.startsWith('product:'))).toBe(true);
      expect(a.evidence.some((e) => e.startsWith('cancelled:'))).toBe(true);
    });
  }

  it('masks an e-mail address or a long number read on an evidence line, and keeps dates', () => {
    const a = assessText('ChatGPT Plus\nYour plan will be canceled on March 5, 2026. Order 1234 5678 9012 3456\nExpires on March 5, 2026 for jane.doe+ai@example.co.uk');
    expect(a.verdict).toBe('verified');
    expect(a.evidence.join('\n')).not.toMatch(/jane|example|5678/);
    expect(a.evidence).toContain('cancelled: Your plan will be canceled on March 5, 2026. Order [number]');
    expect(a.evidence).toContain('cancelled: Expires on March 5, 2026 for [email]');
  });

  it('survives typical OCR noise (0/o, l/i, rn/m, split and merged words)', () => {
    expect(verdict('Subscripti0ns\nChat GPT\nChatGPT Pius - Monthly\nCanceied\nExpircs on Mar 5, 2026\nResubscrlbe')).toBe('verified');
    expect(verdict('Abonnements\nChatGPTPlus\nExpirele 5 mars 2026\nSe réabonner')).toBe('verified');
    expect(verdict('SUBSCRIPTIONS\nCHATGPT PLUS\nEXPIRES 5 MARCH 2026')).toBe('verified');
  });

  it('a duplicate flag never yields verified, and lowers the score', () => {
    const text = cases[0]?.[1] ?? '';
    const a = assessText(text, { duplicate: true });
    expect(a.verdict).toBe('review');
    expect(a.missing).toContain('possible duplicate of another pledge');
    expect(a.score).toBeLessThan(assessText(text).score);
    expect(a.evidence).toContain('duplicate: flagged by the caller');
  });
});

describe('not verified', () => {
  const review: Array<[string, string, string]> = [
    ['active web plan', 'Settings\nChatGPT Plus\nYour plan auto-renews on March 5, 2026\nManage\nCancel plan', 'the subscription shows as renewing'],
    ['active billing page (card expiry is not the plan’s)', 'CURRENT PLAN\nChatGPT Plus Subscription\n$20.00 per month\nYour plan renews on March 5, 2026.\nCancel plan\nPAYMENT METHOD\nVisa •••• 4242 Expires 08/2028', 'the subscription shows as renewing'],
    ['active iOS', 'Edit Subscription\nChatGPT\nChatGPT Plus\nRenews 5 March 2026\nCancel Subscription', 'the subscription shows as renewing'],
    ['active iOS (FR)', "Modifier l'abonnement\nChatGPT\nChatGPT Plus\nRenouvellement le 5 mars 2026\nAnnuler l'abonnement", 'the subscription shows as renewing'],
    ['active Play (FR)', "Abonnements\nChatGPT Plus\nProchain paiement : 5 mars 2026\nRésilier l'abonnement", 'the subscription shows as renewing'],
    ['cancel confirmation dialog, not yet confirmed', 'Cancel plan\nAre you sure you want to cancel ChatGPT Plus? You will keep access until March 5, 2026.\nKeep plan Cancel plan', 'no cancelled/expiry wording'],
    ['chat about how to cancel (no date)', 'How do I cancel my ChatGPT Plus subscription?\nOpen Settings, then Account, choose Manage subscription. Click Cancel plan. Your plan will be canceled at the end of the billing period and will not renew.\nMessage ChatGPT', 'no date next to the cancelled wording'],
    ['pledge typed in notes', 'Notes\nMy pledge\nI will cancel ChatGPT this week.\n#QuitGPT', 'typed statement, not a subscription screen'],
    ['pledge typed in notes (FR)', 'Notes\nMon engagement\nJe vais résilier ChatGPT cette semaine.', 'typed statement, not a subscription screen'],
    ['typed claim with every keyword', 'Done!\nI cancelled ChatGPT Plus today. My subscription expires on July 21, 2026.\nBye OpenAI.', 'typed statement, not a subscription screen'],
    ['typed claim, "I" read as a bar', 'Done!\n| cancelled ChatGPT Plus today. My\nsubscription expires on July 21,\n2026.', 'typed statement, not a subscription screen'],
    ['typed claim (FR)', "C'est fait !\nJ'ai résilié ChatGPT Plus aujourd'hui. Mon abonnement expire le 5 mars 2026.", 'typed statement, not a subscription screen'],
    ['another app cancelled', 'Edit Subscription\nWeather Pro\nPremium\nYour subscription will expire on 5 March 2026.', 'no ChatGPT/OpenAI product name'],
    ['streaming service cancelled', 'STREAMFLIX\nAccount\nYour membership has been cancelled.\nYour membership ends on March 5, 2026.\nRestart Membership', 'no ChatGPT/OpenAI product name'],
    ['ChatGPT mentioned far from the cancelled line', 'ChatGPT\nA\nB\nC\nD\nE\nF\nNetflix\nSubscription canceled, ends on May 5, 2026', 'cancelled wording not next to the product'],
    ['chat screen with a date but no subscription screen', 'ChatGPT\nMy ChatGPT Plus ends on March 5, 2026, what happens then?\nAsk anything\nChatGPT can make mistakes. Check important info.', 'a chat, not a subscription screen'],
  ];
  for (const [name, text, reason] of review) {
    it(`${name} → review`, () => {
      const a = assessText(text);
      expect(a.verdict).toBe('review');
      expect(a.missing).toContain(reason);
    });
  }

  it('nothing relevant → unrelated', () => {
    expect(verdict('')).toBe('unrelated');
    expect(verdict('   \n\n  ')).toBe('unrelated');
    expect(verdict('Holiday photos\nBeach 2025\nSettings')).toBe('unrelated');
    expect(verdict('~~ ,,. ii l1 |||\n#$% 0O0')).toBe('unrelated');
    expect(assessText('').score).toBe(0);
  });

  it('an unrelated screenshot flagged as duplicate still goes to review', () => {
    expect(verdict('Holiday photos', true)).toBe('review');
  });

  it('"cancel" alone (a button) is partial evidence, never a cancelled state', () => {
    const a = assessText('ChatGPT Plus\nManage subscription\nCancel subscription');
    expect(a.verdict).toBe('review');
    expect(a.missing).toContain('no cancelled/expiry wording');
  });

  it('scores order evidence: full > partial > none', () => {
    const full = assessText('Subscriptions\nChatGPT Plus\nExpires 5 March 2026').score;
    const partial = assessText('ChatGPT Plus\nCancel subscription').score;
    const none = assessText('Holiday photos').score;
    expect(full).toBeGreaterThan(partial);
    expect(partial).toBeGreaterThan(none);
  });

  it('evidence lines are short enough for a review card', () => {
    const long = `Subscriptions\nChatGPT Plus\nYour subscription will expire on 5 March 2026 ${'and more words '.repeat(20)}`;
    const a = assessText(long);
    expect(a.evidence.every((e) => e.length <= 100)).toBe(true);
    expect(a.evidence.length).toBeLessThanOrEqual(12);
  });
});
