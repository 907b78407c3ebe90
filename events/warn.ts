import { Events } from 'discord.js';
import { defineEvent } from '../src/bot/types.js';

export const { name, execute } = defineEvent({
  name: Events.Warn,
  execute(ctx, message) {
    ctx.log.warn({ detail: message }, 'discord client warning');
  },
});
