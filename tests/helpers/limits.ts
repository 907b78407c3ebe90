// Discord's documented message limits, checked on what the renderers produce.
import type { Reply } from '../../src/render/reply.js';
import { embedLength, LIMITS } from '../../src/render/limits.js';

export function limitViolations(reply: Reply): string[] {
  const out: string[] = [];
  if ((reply.content ?? '').length > LIMITS.content) out.push('content > 2000');
  if (reply.embeds.length > LIMITS.embeds) out.push('more than 10 embeds');
  const total = reply.embeds.reduce((n, e) => n + embedLength(e), 0);
  if (total > LIMITS.embedTotal) out.push(`embeds total ${total} > 6000`);
  for (const e of reply.embeds) {
    if ((e.title ?? '').length > LIMITS.title) out.push('title > 256');
    if ((e.description ?? '').length > LIMITS.description) out.push('description > 4096');
    if ((e.fields ?? []).length > LIMITS.fields) out.push('more than 25 fields');
    for (const f of e.fields ?? []) {
      if (f.name.length > LIMITS.fieldName || f.name.length === 0) out.push(`field name length ${f.name.length}`);
      if (f.value.length > LIMITS.fieldValue || f.value.length === 0) out.push(`field value length ${f.value.length}`);
    }
    if ((e.footer?.text ?? '').length > LIMITS.footer) out.push('footer > 2048');
  }
  if (reply.components.length > LIMITS.actionRows) out.push('more than 5 rows');
  const ids = new Set<string>();
  for (const row of reply.components) {
    if (row.components.length > LIMITS.buttonsPerRow) out.push('more than 5 components in a row');
    for (const c of row.components) {
      if ('custom_id' in c && typeof c.custom_id === 'string') {
        if (c.custom_id.length > LIMITS.customId) out.push(`custom_id > 100: ${c.custom_id}`);
        if (ids.has(c.custom_id)) out.push(`duplicate custom_id ${c.custom_id}`);
        ids.add(c.custom_id);
      }
      if ('label' in c && typeof c.label === 'string' && c.label.length > LIMITS.buttonLabel) out.push('label > 80');
      if ('options' in c && Array.isArray(c.options)) {
        if (row.components.length > 1) out.push('select not alone in its row');
        if (c.options.length > LIMITS.selectOptions) out.push('more than 25 options');
      }
    }
  }
  return out;
}
