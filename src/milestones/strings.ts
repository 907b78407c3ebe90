// Words for milestone announcements, /milestones and the progress chart, to be merged into the
// i18n catalogues (src/i18n) later. English is the reference shape; French must match it.
// Numbers arrive already formatted for the locale ("1,000" / "1 000").
import type { Locale } from '../kb/schema.js';

const en = {
  name: 'milestones',
  description: 'Pledge milestones in this server and across the campaign, and the campaign timeline',
  announcement: {
    guildTitle: (n: string) => `🎉 ${n} pledges in this server!`,
    campaignTitle: (n: string) => `🎉 ${n} pledges across the campaign!`,
    guildBody: (n: string) =>
      `Members of this server have now recorded **${n}** pledges: that many ChatGPT subscriptions cancelled. Thank you all!`,
    campaignBody: (n: string) =>
      `Across every server taking part in QuitGPT, **${n}** pledges are now recorded. Every cancellation counts.`,
    next: 'Next milestone',
    nextValue: (n: string, toGo: string) => `**${n}** (${toGo} to go)`,
    allReached: 'Every milestone on the list is reached.',
    campaignTotal: 'Whole campaign',
    campaignTotalValue: (n: string) => `**${n}** pledges`,
    callToAction: 'Not cancelled yet? Record your pledge with `/pledge submit`.',
    byLevel: 'By level of commitment',
    levelsValue: (leave: string, strike: string, share: string) =>
      `Leave entirely: **${leave}**\nFinancial strike: **${strike}**\nShared the campaign: **${share}** (counted apart)`,
  },
  overview: {
    title: 'Milestones',
    server: 'This server',
    campaign: 'Whole campaign',
    count: (n: string) => `**${n}** pledges`,
    countServers: (n: string, servers: string) => `**${n}** pledges in ${servers} servers`,
    reached: (list: string) => `Reached: ${list}`,
    noneReached: 'No milestone reached yet',
    next: (n: string, toGo: string) => `Next: **${n}** (${toGo} to go)`,
    allReached: 'Every milestone on the list is reached',
    timeline: 'Campaign timeline',
    earlierEvents: (n: number) => `…and ${n} earlier event${n === 1 ? '' : 's'}`,
    source: 'source',
    levels: (leave: string, strike: string, share: string) => `leave ${leave} · strike ${strike} · ${share} shares`,
    footer: 'Pledges (leave entirely, financial strike) count while pending review or verified; shares are counted apart.',
  },
  chart: {
    pledges: (n: number): string => (n === 1 ? 'pledge' : 'pledges'),
    next: (n: string) => `Next milestone: ${n}`,
    toGo: (n: string) => `${n} to go`,
    allReached: 'Every milestone reached',
    guildTitle: 'QuitGPT · this server',
    campaignTitle: 'QuitGPT · whole campaign',
  },
};

export type MilestonesStrings = typeof en;

const fr: MilestonesStrings = {
  name: 'paliers',
  description: 'Les paliers d’engagements du serveur et de toute la campagne, et la chronologie de la campagne',
  announcement: {
    guildTitle: (n: string) => `🎉 ${n} engagements sur ce serveur !`,
    campaignTitle: (n: string) => `🎉 ${n} engagements dans toute la campagne !`,
    guildBody: (n: string) =>
      `Les membres de ce serveur ont maintenant enregistré **${n}** engagements : autant d’abonnements ChatGPT résiliés. Merci à tous !`,
    campaignBody: (n: string) =>
      `Sur l’ensemble des serveurs qui participent à QuitGPT, **${n}** engagements sont désormais enregistrés. Chaque résiliation compte.`,
    next: 'Prochain palier',
    nextValue: (n: string, toGo: string) => `**${n}** (encore ${toGo})`,
    allReached: 'Tous les paliers de la liste sont atteints.',
    campaignTotal: 'Toute la campagne',
    campaignTotalValue: (n: string) => `**${n}** engagements`,
    callToAction: 'Pas encore résilié ? Enregistrez votre engagement avec `/engagement envoyer`.',
    byLevel: 'Par niveau d’engagement',
    levelsValue: (leave: string, strike: string, share: string) =>
      `Départ complet : **${leave}**\nGrève financière : **${strike}**\nPartage de la campagne : **${share}** (comptés à part)`,
  },
  overview: {
    title: 'Paliers',
    server: 'Ce serveur',
    campaign: 'Toute la campagne',
    count: (n: string) => `**${n}** engagements`,
    countServers: (n: string, servers: string) => `**${n}** engagements sur ${servers} serveurs`,
    reached: (list: string) => `Atteints : ${list}`,
    noneReached: 'Aucun palier atteint pour l’instant',
    next: (n: string, toGo: string) => `Prochain : **${n}** (encore ${toGo})`,
    allReached: 'Tous les paliers de la liste sont atteints',
    timeline: 'Chronologie de la campagne',
    earlierEvents: (n: number) => `…et ${n} événement${n === 1 ? '' : 's'} plus ancien${n === 1 ? '' : 's'}`,
    source: 'source',
    levels: (leave: string, strike: string, share: string) => `départ ${leave} · grève ${strike} · ${share} partages`,
    footer: 'Un engagement (départ complet, grève financière) compte dès son envoi, en attente de vérification ou vérifié ; les partages sont comptés à part.',
  },
  chart: {
    pledges: (n: number) => (n <= 1 ? 'engagement' : 'engagements'),
    next: (n: string) => `Prochain palier : ${n}`,
    toGo: (n: string) => `encore ${n}`,
    allReached: 'Tous les paliers sont atteints',
    guildTitle: 'QuitGPT · ce serveur',
    campaignTitle: 'QuitGPT · toute la campagne',
  },
};

export const milestonesStrings: Record<Locale, MilestonesStrings> = { en, fr };
