// Words for /stats, its chart and the CSV export, to be merged into the i18n catalogues later.
// English is the reference shape; French must match it. Numbers arrive already formatted.
import type { Locale } from '../kb/schema.js';

const en = {
  name: 'stats',
  description: 'Pledge figures for this server and the whole campaign',
  exportName: 'export',
  exportDescription: 'Download this server’s pledges as a CSV file (organizers)',
  title: 'Pledge statistics',
  counted: 'Counted pledges',
  countedHint: 'pending review + verified',
  byStatus: 'By status',
  byLevel: 'By level of commitment',
  levels: { leave: 'Leave entirely', strike: 'Financial strike', share: 'Shared the campaign' },
  sharesApart: 'shares are declared without a screenshot and counted apart',
  campaignLevels: (leave: string, strike: string, share: string) => `leave ${leave} · strike ${strike} · ${share} shares`,
  statuses: { pending: 'Pending review', verified: 'Verified', rejected: 'Rejected', withdrawn: 'Withdrawn' },
  today: 'Today',
  last7Days: 'Last 7 days',
  verifiedShare: 'Verified so far',
  verifiedShareValue: (pct: string, verified: string, counted: string) => `${pct} (${verified} of ${counted})`,
  noneToVerify: 'nothing to verify yet',
  campaign: 'Whole campaign',
  campaignValue: (n: string, servers: string) => `**${n}** pledges in ${servers} servers`,
  empty: 'No pledges in this server yet. Be the first: `/pledge submit`.',
  footer: (day: string) => `Days are UTC · today is ${day}`,
  export: {
    filename: (guildId: string, day: string) => `quitgpt-pledges-${guildId}-${day}.csv`,
    done: (n: string) => `Here are ${n} pledges. Screenshots and fingerprints are never exported.`,
  },
  chart: {
    title: (days: number) => `Pledges per day, last ${days} days`,
    perDay: 'per day',
    total: 'total',
    empty: 'No pledges yet',
  },
};

export type StatsStrings = typeof en;

const fr: StatsStrings = {
  name: 'stats',
  description: 'Les chiffres des engagements du serveur et de toute la campagne',
  exportName: 'export',
  exportDescription: 'Télécharger les engagements de ce serveur en CSV (organisateurs)',
  title: 'Statistiques des engagements',
  counted: 'Engagements comptés',
  countedHint: 'en attente + vérifiés',
  byStatus: 'Par statut',
  byLevel: 'Par niveau d’engagement',
  levels: { leave: 'Départ complet', strike: 'Grève financière', share: 'Partage de la campagne' },
  sharesApart: 'les partages sont déclarés sans capture et comptés à part',
  campaignLevels: (leave: string, strike: string, share: string) => `départ ${leave} · grève ${strike} · ${share} partages`,
  statuses: { pending: 'En attente de vérification', verified: 'Vérifiés', rejected: 'Refusés', withdrawn: 'Retirés' },
  today: 'Aujourd’hui',
  last7Days: '7 derniers jours',
  verifiedShare: 'Déjà vérifiés',
  verifiedShareValue: (pct: string, verified: string, counted: string) => `${pct} (${verified} sur ${counted})`,
  noneToVerify: 'rien à vérifier pour l’instant',
  campaign: 'Toute la campagne',
  campaignValue: (n: string, servers: string) => `**${n}** engagements sur ${servers} serveurs`,
  empty: 'Aucun engagement sur ce serveur pour l’instant. Soyez le premier : `/engagement envoyer`.',
  footer: (day: string) => `Jours en UTC · nous sommes le ${day}`,
  export: {
    filename: (guildId: string, day: string) => `quitgpt-engagements-${guildId}-${day}.csv`,
    done: (n: string) => `Voici ${n} engagements. Les captures et leurs empreintes ne sont jamais exportées.`,
  },
  chart: {
    title: (days: number) => `Engagements par jour, ${days} derniers jours`,
    perDay: 'par jour',
    total: 'total',
    empty: 'Aucun engagement pour l’instant',
  },
};

export const statsStrings: Record<Locale, StatsStrings> = { en, fr };
