import { Events } from 'discord.js';
import { defineEvent } from '../src/bot/types.js';

export const { name, once, execute } = defineEvent({
  name: Events.ClientReady,
  once: true,
  execute(ctx, client) {
    ctx.log.info({ user: client.user.tag, guilds: client.guilds.cache.size, commands: ctx.commands.size }, 'ready');
  },
});
