import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { shareOption } from '../src/bot/commandOptions.js';
import { isOnEphemeralMessage, sendReply, updateOptions, wantsShare } from '../src/bot/respond.js';
import type { BotContext, ComponentHandler, ComponentInteraction } from '../src/bot/types.js';
import { displayName } from '../src/bot/views.js';
import { en } from '../src/i18n/en.js';
import { localeFromDiscord, localizations, messages } from '../src/i18n/index.js';
import type { Locale } from '../src/kb/schema.js';
import type { Audience, Reply } from '../src/render/reply.js';
import { renderPrioritiesStep, renderResults, renderUsesStep, renderWizardNotice } from '../src/render/switch.js';
import { parseMask, parseOwner, prioritiesMask, PRIORITIES_ALL, usesMask, USES_ALL, type WizardState } from '../src/switch/state.js';

export const data = new SlashCommandBuilder()
  .setName(en.switch.name)
  .setNameLocalizations(localizations((m) => m.switch.name))
  .setDescription(en.switch.description)
  .setDescriptionLocalizations(localizations((m) => m.switch.description))
  .setContexts(InteractionContextType.Guild)
  .addBooleanOption(shareOption((m) => m.switch));

export async function execute(interaction: ChatInputCommandInteraction): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  const share = wantsShare(interaction);
  await sendReply(interaction, renderUsesStep({ owner: interaction.user.id, uses: 0, priorities: 0 }, locale), !share);
}

/** Which custom_id arguments an action carries after the owner, and which must hold an answer. */
type Needs = { uses?: 'required' | 'optional'; priorities?: 'optional' };

type Step = (interaction: ComponentInteraction, state: WizardState, locale: Locale, ctx: BotContext) => Promise<void>;

/**
 * Reads the state from the custom_id and checks who pressed. A damaged or outdated id gets
 * "start again"; someone else's wizard gets a polite refusal. Both privately, both with a
 * button that opens the presser's own wizard.
 */
function wizardStep(needs: Needs, step: Step): ComponentHandler {
  return async (interaction, args, ctx) => {
    const locale = localeFromDiscord(interaction.locale);
    const m = messages(locale);
    const owner = parseOwner(args[0]);
    let next = 1;
    const uses = needs.uses ? parseMask(args[next++], USES_ALL) : 0;
    const priorities = needs.priorities ? parseMask(args[next++], PRIORITIES_ALL) : 0;
    const valid = owner !== null && uses !== null && priorities !== null && args.length === next && !(needs.uses === 'required' && uses === 0);
    if (!valid) return void (await sendReply(interaction, renderWizardNotice(m.switch.stale, locale, 'startAgain'), true));
    if (owner !== interaction.user.id) return void (await sendReply(interaction, renderWizardNotice(m.switch.notYours, locale, 'startOwn'), true));
    await step(interaction, { owner, uses, priorities }, locale, ctx);
  };
}

const values = (interaction: ComponentInteraction): string[] => (interaction.isStringSelectMenu() ? interaction.values : []);

const update = async (interaction: ComponentInteraction, reply: Reply): Promise<void> => {
  if (interaction.isMessageComponent()) await interaction.update(updateOptions(reply));
};

export const components: Record<string, ComponentHandler> = {
  /** Step 1 answered: on to step 2 (keeping step 2's answers when the member came back). */
  uses: wizardStep({ priorities: 'optional' }, async (i, s, locale) => {
    const uses = usesMask(values(i));
    if (uses === 0) return update(i, renderUsesStep(s, locale));
    await update(i, renderPrioritiesStep({ ...s, uses }, locale));
  }),
  next: wizardStep({ uses: 'required', priorities: 'optional' }, (i, s, locale) => update(i, renderPrioritiesStep(s, locale))),
  /** Step 2 answered: the shortlist. */
  prefs: wizardStep({ uses: 'required' }, (i, s, locale, ctx) =>
    update(i, renderResults(ctx.kb.current, { ...s, priorities: prioritiesMask(values(i)) }, locale, audienceOf(i))),
  ),
  show: wizardStep({ uses: 'required', priorities: 'optional' }, (i, s, locale, ctx) => update(i, renderResults(ctx.kb.current, s, locale, audienceOf(i)))),
  back: wizardStep({ uses: 'required', priorities: 'optional' }, (i, s, locale) => update(i, renderUsesStep(s, locale))),
  edit: wizardStep({ uses: 'required', priorities: 'optional' }, (i, s, locale) => update(i, renderPrioritiesStep(s, locale))),
  restart: wizardStep({}, (i, s, locale) => update(i, renderUsesStep({ ...s, uses: 0, priorities: 0 }, locale))),
  /** The shortlist posted in the channel, credited; others get a button to find theirs. */
  share: wizardStep({ uses: 'required', priorities: 'optional' }, async (i, s, locale, ctx) => {
    const reply = renderResults(ctx.kb.current, s, locale, { shared: true, sharedBy: displayName(i) }, 'posted');
    await sendReply(i, reply, false);
  }),
  /** Anyone: a fresh private wizard of their own. */
  async new(interaction) {
    const locale = localeFromDiscord(interaction.locale);
    await sendReply(interaction, renderUsesStep({ owner: interaction.user.id, uses: 0, priorities: 0 }, locale), true);
  },
};

/** A wizard started with share:true lives on a public message: its results get no "post in channel" button. */
function audienceOf(interaction: ComponentInteraction): Audience {
  return isOnEphemeralMessage(interaction) ? { shared: false } : { shared: true };
}
