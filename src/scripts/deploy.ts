// `npm run deploy`: registers the slash commands by bulk overwrite, as the discord.js guide does.
// Global by default (Discord may take a while to show them); one guild, instantly, when DEV_GUILD_ID is set.
import { REST } from '@discordjs/rest';
import { Routes, type APIApplication, type RESTPutAPIApplicationCommandsResult } from 'discord-api-types/v10';
import { commandDefinitions } from '../bot/loader.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.js';
import { isMain } from './isMain.js';

export async function deployCommands(config: Config): Promise<{ scope: string; count: number }> {
  const rest = new REST({ api: config.apiUrl }).setToken(config.token ?? '');
  const body = await commandDefinitions();
  // Without DISCORD_CLIENT_ID, ask Discord which application the token belongs to.
  const appId = config.clientId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  const route = config.devGuildId ? Routes.applicationGuildCommands(appId, config.devGuildId) : Routes.applicationCommands(appId);
  const result = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  return { scope: config.devGuildId ? `guild ${config.devGuildId}` : 'global', count: result.length };
}

if (isMain(import.meta.url)) {
  try {
    loadDotEnv();
    const config = loadConfig(process.env, { requireToken: true });
    const { scope, count } = await deployCommands(config);
    process.stdout.write(`Registered ${count} commands (${scope}).\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `deploy failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
}
