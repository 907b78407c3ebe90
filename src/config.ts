// Configuration comes from the environment only, validated once at boot: a handler never reads process.env.
import os from 'node:os';
import { z } from 'zod';

const snowflake = z.string().regex(/^\d{17,20}$/, 'expected a Discord id (17 to 20 digits)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const STORE_SCHEMES = ['sqlite', 'postgres', 'postgresql', 'redis', 'rediss'] as const;

export const envSchema = z.object({
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_CLIENT_ID: snowflake.optional(),
  DEV_GUILD_ID: snowflake.optional(),
  // discord.js appends /v10/... itself, so this is the API root, as in its `rest.api` option.
  DISCORD_API_URL: httpUrl.default('https://discord.com/api'),
  DISCORD_CDN_URL: httpUrl.optional(),
  STORE_URL: z
    .string()
    .refine(
      (s) => STORE_SCHEMES.some((scheme) => s.startsWith(`${scheme}://`)),
      `expected sqlite://path, postgres://… or redis://…`,
    )
    .default('sqlite://data/quitgpt.sqlite'),
  KB_DIR: z.string().min(1).default('kb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // OCR workers for screenshot verification (docs/verification.md). 0 turns automatic verification
  // off for this bot (every pledge waits for a moderator); the default is one per core, at most 16.
  OCR_WORKERS: z
    .string()
    .regex(/^\d{1,2}$/, 'expected a whole number of workers from 0 to 16')
    .transform(Number)
    .refine((n) => n <= 16, 'expected a whole number of workers from 0 to 16')
    .optional(),
});

export type Env = z.infer<typeof envSchema>;

export type Config = {
  token: string | undefined;
  clientId: string | undefined;
  devGuildId: string | undefined;
  apiUrl: string;
  /** Hosts attachments may be downloaded from: Discord's CDN, plus DISCORD_CDN_URL's host (the simulator). */
  cdnHosts: string[];
  storeUrl: string;
  kbDir: string;
  logLevel: Env['LOG_LEVEL'];
  /** OCR worker threads for screenshot verification; 0 = off. Started on the first screenshot, not at boot. */
  ocrWorkers: number;
};

export const DISCORD_CDN_HOSTS = ['cdn.discordapp.com', 'media.discordapp.net'];

/** A configuration problem a person can fix: its message is one line, printed without a stack. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TOKEN_HELP =
  'DISCORD_TOKEN is missing: create an application at https://discord.com/developers/applications, ' +
  'open Bot > Reset Token, and put DISCORD_TOKEN=<token> in .env (see .env.example). ' +
  'To try the bot without Discord, run `npm run sandbox`.';

export function loadConfig(
  rawEnv: Record<string, string | undefined>,
  opts: { requireToken?: boolean; requireClientId?: boolean } = {},
): Config {
  // `FOO=` in .env means "not set", not "set to nothing".
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${name} is invalid: ${issue?.message ?? 'unknown problem'} (got ${JSON.stringify(env[name] ?? '')})`);
  }
  const e = parsed.data;
  if (opts.requireToken && !e.DISCORD_TOKEN) throw new ConfigError(TOKEN_HELP);
  if (opts.requireClientId && !e.DISCORD_CLIENT_ID) {
    throw new ConfigError(
      'DISCORD_CLIENT_ID is missing: copy the Application ID from the General Information page of your application.',
    );
  }
  const cdnHosts = [...DISCORD_CDN_HOSTS];
  if (e.DISCORD_CDN_URL) cdnHosts.push(new URL(e.DISCORD_CDN_URL).host);
  return {
    token: e.DISCORD_TOKEN,
    clientId: e.DISCORD_CLIENT_ID,
    devGuildId: e.DEV_GUILD_ID,
    apiUrl: e.DISCORD_API_URL.replace(/\/+$/, ''),
    cdnHosts,
    storeUrl: e.STORE_URL,
    kbDir: e.KB_DIR,
    logLevel: e.LOG_LEVEL,
    ocrWorkers: e.OCR_WORKERS ?? Math.min(16, os.availableParallelism()),
  };
}

/** Reads `.env` when present; real environment variables win over it. */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${path} could not be read: ${String(err)}`);
  }
}

/** loadDotEnv for the maintenance scripts: false, after reporting why, when `.env` cannot be read. */
export function loadDotEnvOrReport(report: (line: string) => void): boolean {
  try {
    loadDotEnv();
    return true;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    report(err.message);
    return false;
  }
}
