import { Events } from 'discord.js';
import { defineEvent } from '../src/bot/types.js';

// Without a listener, an 'error' event on the client ends the process.
export const { name, execute } = defineEvent({
  name: Events.Error,
  execute(ctx, err) {
    ctx.log.error({ err }, 'discord client error');
  },
});
