// /switch: a two-question wizard (what do you use ChatGPT for, what matters to you) ending in a
// ranked shortlist. Every step is rendered from a WizardState that lives in the custom_ids:
// `switch:<action>:v1:<owner>:<uses mask>:<priorities mask>`, so it survives restarts.
import { ButtonStyle, ComponentType, type APIButtonComponent, type APIEmbedField } from 'discord-api-types/v10';
import { messages, type Messages } from '../i18n/index.js';
import type { KnowledgeBase, Locale } from '../kb/schema.js';
import { PRIORITIES, rankAlternatives, USES, type Ranked } from '../switch/rank.js';
import { prioritiesOf, usesOf, type WizardState } from '../switch/state.js';
import { customId } from './customId.js';
import { truncate } from './limits.js';
import { embed, footer, latest, linkButtons, rows, type ActionRow, type Audience, type Reply } from './reply.js';

export const SWITCH = 'switch';

const id = (action: string, s: WizardState, ...fields: Array<'uses' | 'priorities'>): string =>
  customId(SWITCH, action, s.owner, ...fields.map((f) => s[f]));

type CustomIdStyle = ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Success | ButtonStyle.Danger;

function button(label: string, custom_id: string, style: CustomIdStyle = ButtonStyle.Secondary): APIButtonComponent {
  return { type: ComponentType.Button, style, label, custom_id };
}

function buttonRow(...buttons: APIButtonComponent[]): ActionRow {
  return { type: ComponentType.ActionRow, components: buttons };
}

function list(m: Messages, items: string[]): string {
  return items.length ? items.join(', ') : m.switch.nothingInParticular;
}

function usesLine(m: Messages, s: WizardState): string {
  return m.switch.youUse(list(m, usesOf(s.uses).map((u) => m.switch.uses[u])));
}

function prioritiesLine(m: Messages, s: WizardState): string {
  return m.switch.youWant(list(m, prioritiesOf(s.priorities).map((p) => m.switch.priorities[p])));
}

/** Step 1: what do you use ChatGPT for (several answers). `Next` appears when there are answers already (coming back). */
export function renderUsesStep(s: WizardState, locale: Locale): Reply {
  const m = messages(locale);
  const chosen = usesOf(s.uses);
  return {
    embeds: [embed({ title: m.switch.step1Title, description: m.switch.step1Question })],
    components: rows(
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.StringSelect,
            custom_id: id('uses', s, 'priorities'),
            placeholder: m.switch.usesPlaceholder,
            min_values: 1,
            max_values: USES.length,
            options: USES.map((u) => ({ label: m.switch.uses[u], value: u, default: chosen.includes(u) })),
          },
        ],
      },
      s.uses !== 0 ? buttonRow(button(m.switch.next, id('next', s, 'uses', 'priorities'), ButtonStyle.Primary)) : null,
    ),
  };
}

/** Step 2: what matters (several answers, or skip). */
export function renderPrioritiesStep(s: WizardState, locale: Locale): Reply {
  const m = messages(locale);
  const chosen = prioritiesOf(s.priorities);
  return {
    embeds: [embed({ title: m.switch.step2Title, description: `${usesLine(m, s)}\n\n${m.switch.step2Question}` })],
    components: rows(
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.StringSelect,
            custom_id: id('prefs', s, 'uses'),
            placeholder: m.switch.prioritiesPlaceholder,
            min_values: 1,
            max_values: PRIORITIES.length,
            options: PRIORITIES.map((p) => ({ label: m.switch.priorities[p], value: p, default: chosen.includes(p) })),
          },
        ],
      },
      buttonRow(
        button(m.switch.back, id('back', s, 'uses', 'priorities')),
        button(s.priorities === 0 ? m.switch.skip : m.switch.show, id('show', s, 'uses', 'priorities'), ButtonStyle.Primary),
      ),
    ),
  };
}

/** Why this one: the member's uses it is good at, the priorities it meets and the ones it does not. */
export function reasons(r: Ranked, locale: Locale): string {
  const m = messages(locale);
  const a = r.alternative;
  const label = (p: (typeof PRIORITIES)[number]) => (p === 'europe' ? `${m.switch.priorities[p]} (${a.country[locale]})` : m.switch.priorities[p]);
  const parts = [
    r.uses.length ? m.switch.goodAt(r.uses.map((u) => m.needs[u]).join(', ')) : null,
    r.met.length ? m.switch.met(r.met.map(label).join(', ')) : null,
    r.unmet.length ? m.switch.unmet(r.unmet.map((p) => m.switch.priorities[p]).join(', ')) : null,
    a.campaign_pick ? m.switch.campaignPick : null,
  ];
  return parts.filter((p): p is string => p !== null).join(' · ');
}

/** The ranked shortlist. `posted`: shared in the channel (credited, with a button for others to find theirs). */
export function renderResults(kb: KnowledgeBase, s: WizardState, locale: Locale, audience: Audience, mode: 'wizard' | 'posted' = 'wizard'): Reply {
  const m = messages(locale);
  const answers = { uses: usesOf(s.uses), priorities: prioritiesOf(s.priorities) };
  const ranked = rankAlternatives(kb.alternatives, answers);
  const fits = ranked.some((r) => r.uses.length + r.met.length > 0);
  const fields: APIEmbedField[] = ranked.map((r, i) => ({
    name: truncate(`${i + 1}. ${r.alternative.name} · ${r.alternative.maker} (${r.alternative.country[locale]})`, 256),
    value: truncate(`${reasons(r, locale)}\n${r.alternative.description[locale]}`, 1024),
  }));
  const controls =
    mode === 'posted'
      ? buttonRow(button(m.switch.findMine, customId(SWITCH, 'new'), ButtonStyle.Primary))
      : buttonRow(
          button(m.switch.edit, id('edit', s, 'uses', 'priorities')),
          button(m.switch.restart, id('restart', s)),
          ...(audience.shared ? [] : [button(m.common.share, id('share', s, 'uses', 'priorities'), ButtonStyle.Primary)]),
        );
  return {
    embeds: [
      embed({
        title: m.switch.resultsTitle,
        description: [usesLine(m, s), prioritiesLine(m, s), fits ? null : `\n${m.switch.noFit}`].filter((l) => l !== null).join('\n'),
        fields,
        footer: footer(m, [ranked.length ? m.common.asOf(latest(ranked.map((r) => r.alternative.as_of))) : null], audience),
      }),
    ],
    components: rows(linkButtons(ranked.map((r) => ({ label: m.switch.website(r.alternative.name), url: r.alternative.link }))), controls),
  };
}

/** A refusal or a "start again", with a button that opens the presser's own wizard. */
export function renderWizardNotice(text: string, locale: Locale, label: 'startOwn' | 'startAgain'): Reply {
  const m = messages(locale);
  return { content: text, embeds: [], components: [buttonRow(button(m.switch[label], customId(SWITCH, 'new'), ButtonStyle.Primary))] };
}
