import { Events } from 'discord.js';
import { routeInteraction } from '../src/bot/router.js';
import { defineEvent } from '../src/bot/types.js';

export const { name, execute } = defineEvent({
  name: Events.InteractionCreate,
  execute: (ctx, interaction) => routeInteraction(interaction, ctx),
});
