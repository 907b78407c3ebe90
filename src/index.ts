// `npm start`: the one way in. Reads .env, starts the bot, and turns setup mistakes into one clear line.
import { DiscordUnreachableError, startBot, type RunningBot } from './app.js';
import { ConfigError, loadDotEnv } from './config.js';
import { KnowledgeBaseInvalidError } from './kb/holder.js';
import { DiscordjsError, DiscordjsErrorCodes } from 'discord.js';
import { StoreConfigError, StoreUnavailableError } from './store/index.js';

/** Exit code for a setup problem the person running the bot must fix (config, knowledge base). */
const EXIT_SETUP = 2;

function explainStartupFailure(err: unknown): { line: string; code: number } | null {
  if (err instanceof ConfigError) return { line: err.message, code: EXIT_SETUP };
  if (err instanceof KnowledgeBaseInvalidError) {
    return { line: `The knowledge base is invalid; fix these and run \`npm run kb:check\`:\n${err.report}`, code: EXIT_SETUP };
  }
  if (err instanceof DiscordUnreachableError) {
    return { line: `${err.message}. Check the network, or DISCORD_API_URL if you set it.`, code: 1 };
  }
  if (err instanceof StoreConfigError) return { line: `STORE_URL cannot be used: ${err.message}`, code: EXIT_SETUP };
  if (err instanceof StoreUnavailableError) {
    return { line: `The store (STORE_URL) could not be reached: ${err.message}. Check that it is running, then start again.`, code: 1 };
  }
  if (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid) {
    return { line: 'DISCORD_TOKEN was refused by Discord: copy a fresh token from the Bot page of your application.', code: EXIT_SETUP };
  }
  return null;
}

async function main(): Promise<void> {
  let bot: RunningBot | undefined;
  try {
    loadDotEnv();
    bot = await startBot({ env: process.env });
  } catch (err) {
    const known = explainStartupFailure(err);
    if (known) {
      process.stderr.write(`${known.line}\n`);
      process.exit(known.code);
    }
    throw err;
  }
  const running = bot;
  // The bot must outlive any stray rejection: log it, keep serving.
  process.on('unhandledRejection', (reason) => running.log.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => running.log.error({ err }, 'uncaught exception'));
  process.on('SIGHUP', () => void running.reloadKnowledgeBase());
  const shutdown = (signal: string) => {
    running.log.info({ signal }, 'shutting down');
    // A failed stop (the store refusing to close, …) must still end the process, with a non-zero
    // code: left to the unhandledRejection logger above it would keep a half-stopped bot running.
    void running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        running.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`quitgpt-bot could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
