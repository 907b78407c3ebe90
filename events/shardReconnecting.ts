import { Events } from 'discord.js';
import { defineEvent } from '../src/bot/types.js';

export const { name, execute } = defineEvent({
  name: Events.ShardReconnecting,
  execute(ctx, shardId) {
    ctx.log.warn({ shardId }, 'gateway connection lost; reconnecting');
  },
});
