// One JSON line per event. Tokens never reach the log: pino redacts them wherever they appear in a logged object.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'config.token',
  'headers.authorization',
  '*.headers.authorization',
  'interaction.token',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { app: 'quitgpt-bot' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}
