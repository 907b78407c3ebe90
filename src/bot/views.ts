// The knowledge-base commands share one behaviour for their buttons: turn a page, post the view in the channel.
import type { KnowledgeBase, Locale } from '../kb/schema.js';
import { localeFromDiscord, messages } from '../i18n/index.js';
import { pageArg } from '../render/customId.js';
import type { Audience, Reply } from '../render/reply.js';
import { sanitizeUserText } from '../text/sanitize.js';
import { isOnEphemeralMessage, sendReply, sendNotice, updateOptions } from './respond.js';
import type { ComponentHandler, ComponentInteraction } from './types.js';

export type ViewCodec<V> = {
  /** The custom_id arguments carry the view's state, then the page number last. */
  decode(args: string[], page: number): V | null;
  render(kb: KnowledgeBase, view: V, locale: Locale, audience: Audience): Reply | null;
};

function split(args: string[]): { state: string[]; page: number } {
  return { state: args.slice(0, -1), page: pageArg(args.at(-1)) };
}

/**
 * The name "shared by …" credits. A display name is member text: bidi controls could reorder the
 * footer and invisible ones hide it, so it is sanitized (footers render no markdown or mentions,
 * so those are left as typed). A name with nothing visible falls back to the username, which
 * Discord restricts to plain characters.
 */
export function displayName(interaction: ComponentInteraction): string {
  const shown = interaction.member && 'displayName' in interaction.member ? interaction.member.displayName : interaction.user.displayName;
  return sanitizeUserText(shown, DISPLAY_NAME_MAX, { escapeMarkdown: false, maxLines: 1 }) || interaction.user.username;
}

const DISPLAY_NAME_MAX = 32;

/** Shows a view where the member asked: in place on their private message, or privately below a public post. */
export async function showView(interaction: ComponentInteraction, reply: Reply | null): Promise<void> {
  const locale = localeFromDiscord(interaction.locale);
  if (!reply) return sendNotice(interaction, messages(locale).errors.kbMissingEntry);
  // Turning a page on a message everyone sees would change it for everyone: answer privately instead.
  if (isOnEphemeralMessage(interaction) && (interaction.isMessageComponent() || interaction.isFromMessage())) {
    await interaction.update(updateOptions(reply));
  } else {
    await sendReply(interaction, reply, true);
  }
}

export function viewButtons<V>(codec: ViewCodec<V>): Record<string, ComponentHandler> {
  return {
    async page(interaction, args, ctx) {
      const { state, page } = split(args);
      const view = codec.decode(state, page);
      const locale = localeFromDiscord(interaction.locale);
      if (!view) return sendNotice(interaction, messages(locale).errors.staleComponent);
      // A page turned from a public post is answered privately, so it is private too (with its own share button).
      await showView(interaction, codec.render(ctx.kb.current, view, locale, { shared: false }));
    },
    async share(interaction, args, ctx) {
      const { state, page } = split(args);
      const view = codec.decode(state, page);
      const locale = localeFromDiscord(interaction.locale);
      if (!view) return sendNotice(interaction, messages(locale).errors.staleComponent);
      const reply = codec.render(ctx.kb.current, view, locale, { shared: true, sharedBy: displayName(interaction) });
      if (!reply) return sendNotice(interaction, messages(locale).errors.kbMissingEntry);
      await sendReply(interaction, reply, false);
    },
  };
}
