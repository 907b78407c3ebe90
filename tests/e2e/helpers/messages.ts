// Reading what a member sees in a simulator message.
import type { ComponentView, SimMessage } from '../../../src/sim/index.js';

export function flatComponents(message: SimMessage): ComponentView[] {
  return message.components.flatMap((row) => row.components ?? []);
}

export function customIds(message: SimMessage): string[] {
  return flatComponents(message).flatMap((c) => (c.custom_id ? [c.custom_id] : []));
}

export function buttonByLabel(message: SimMessage, label: string): ComponentView {
  const found = flatComponents(message).find((c) => c.label === label);
  if (!found) throw new Error(`no button "${label}" on the message; have: ${flatComponents(message).map((c) => c.label).join(', ')}`);
  return found;
}

export function selectMenu(message: SimMessage): ComponentView {
  const found = flatComponents(message).find((c) => Array.isArray(c.options));
  if (!found) throw new Error('no select menu on the message');
  return found;
}

export function embedText(message: SimMessage): string {
  return message.embeds
    .map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value]), e.footer?.text].filter(Boolean).join('\n'))
    .join('\n');
}

export const EPHEMERAL = 64;
