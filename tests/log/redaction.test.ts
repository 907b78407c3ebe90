// Tokens never reach the log: named fields are redacted, errors are scrubbed of URL-borne tokens (src/log.ts).
import { DiscordAPIError, HTTPError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { BatchedDestination, createLogger, scrubTokens } from '../../src/log.js';

const BOT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.bot-token-secret';
const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmludGVyYWN0aW9uLXRva2VuLXNlY3JldA';
const WEBHOOK_URL = `https://discord.com/api/v10/webhooks/111111111111111111/${INTERACTION_TOKEN}/messages/@original`;
const CALLBACK_URL = `https://discord.com/api/v10/interactions/222222222222222222/${INTERACTION_TOKEN}/callback?with_response=false`;

async function logged(write: (log: ReturnType<typeof createLogger>) => void): Promise<{ text: string; lines: Record<string, unknown>[] }> {
  const writes: string[] = [];
  const log = createLogger('info', new BatchedDestination({ write: (chunk: string) => void writes.push(chunk) }));
  write(log);
  await new Promise<void>((resolve) => setImmediate(resolve));
  const text = writes.join('');
  return { text, lines: text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log redaction', () => {
  it('GIVEN a token in each field that can hold one THEN every one is censored and the rest kept', async () => {
    const { text, lines } = await logged((log) => {
      log.info({ token: BOT_TOKEN }, 'top level');
      log.info({ config: { token: BOT_TOKEN, storeUrl: 'sqlite://x' } }, 'config');
      log.info({ interaction: { id: '1', token: INTERACTION_TOKEN } }, 'interaction');
      log.info({ headers: { authorization: `Bot ${BOT_TOKEN}`, 'content-type': 'application/json' } }, 'headers');
    });
    expect(text).not.toContain(BOT_TOKEN);
    expect(text).not.toContain(INTERACTION_TOKEN);
    expect(lines[0]?.token).toBe('[redacted]');
    expect(lines[1]?.config).toEqual({ token: '[redacted]', storeUrl: 'sqlite://x' });
    expect(lines[2]?.interaction).toEqual({ id: '1', token: '[redacted]' });
    expect(lines[3]?.headers).toEqual({ authorization: '[redacted]', 'content-type': 'application/json' });
  });

  it('GIVEN discord.js errors from an interaction answer THEN their URLs keep the route and lose the token', async () => {
    const apiError = new DiscordAPIError({ code: 10015, message: 'Unknown Webhook' }, 10015, 404, 'PATCH', WEBHOOK_URL, { body: { content: 'hi' } });
    const httpError = new HTTPError(502, 'Bad Gateway', 'POST', CALLBACK_URL, { body: { type: 4 } });
    const wrapped = new Error(`answer failed at ${WEBHOOK_URL}`, { cause: apiError });
    const { text, lines } = await logged((log) => {
      log.error({ err: apiError, ref: 'abcd' }, 'interaction handler failed');
      log.warn({ err: httpError }, 'callback failed');
      log.warn({ err: wrapped }, 'wrapped');
    });
    expect(text).not.toContain(INTERACTION_TOKEN);
    const [api, http, outer] = lines.map((l) => l.err as Record<string, unknown>);
    expect(api?.url).toBe('https://discord.com/api/v10/webhooks/111111111111111111/[redacted]/messages/@original');
    expect(api?.code).toBe(10015);
    expect(lines[0]?.ref).toBe('abcd');
    expect(http?.url).toBe('https://discord.com/api/v10/interactions/222222222222222222/[redacted]/callback?with_response=false');
    // pino appends the causes' messages to the error's own.
    expect(outer?.message).toBe('answer failed at https://discord.com/api/v10/webhooks/111111111111111111/[redacted]/messages/@original: Unknown Webhook');
    expect(String(outer?.stack)).toContain('/webhooks/111111111111111111/[redacted]/');
  });

  it('GIVEN a failed upload (a review card with the screenshot) THEN neither the image nor the JSON body reaches the log, only their sizes', async () => {
    const screenshot = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xde, 0xad, 0xbe, 0xef]);
    const body = { content: '<@555555555555555555> pledged', embeds: [{ description: 'note: write to me at jane.doe@example.org' }] };
    const apiError = new DiscordAPIError({ code: 50013, message: 'Missing Permissions' }, 50013, 403, 'POST', 'https://discord.com/api/v10/channels/1/messages', {
      files: [{ name: 'pledge-7.png', data: screenshot, contentType: 'image/png' }],
      body,
    });
    const wrapped = new Error('review card not posted', { cause: apiError });
    const { text, lines } = await logged((log) => {
      log.warn({ err: apiError }, 'review card not posted');
      log.warn({ err: wrapped }, 'wrapped');
    });
    expect(text).not.toContain('jane.doe@example.org');
    expect(text).not.toContain('555555555555555555');
    expect(text).not.toMatch(/137,80,78,71|"data"/); // a Buffer serializes as {"type":"Buffer","data":[137,80,78,71,…]}
    const err = lines[0]?.err as Record<string, unknown>;
    expect(err.requestBody).toEqual({ files: [{ name: 'pledge-7.png', bytes: 12 }], json: `[omitted: ${JSON.stringify(body).length} characters]` });
    expect(err.code).toBe(50013);
    // pino folds a cause into the message and stack, so a wrapped upload error carries no body at all.
    expect(lines[1]?.err).toMatchObject({ message: 'review card not posted: Missing Permissions' });
    expect(lines[1]?.err).not.toHaveProperty('requestBody');
  });

  it('GIVEN a failed answer sent as pre-serialized bytes THEN the log keeps their size only', async () => {
    const bytes = Buffer.from(JSON.stringify({ type: 4, data: { content: 'shared by jane.doe@example.org' } }));
    const apiError = new DiscordAPIError({ code: 10062, message: 'Unknown interaction' }, 10062, 404, 'POST', 'https://discord.com/api/v10/interactions/1/tok/callback', {
      body: bytes,
    });
    const { text, lines } = await logged((log) => log.warn({ err: apiError }, 'answer failed'));
    expect(text).not.toContain('jane.doe@example.org');
    expect(text).not.toMatch(/"data"/);
    expect((lines[0]?.err as Record<string, unknown>).requestBody).toEqual({ json: `[omitted: ${bytes.byteLength} bytes]` });
  });

  it('GIVEN the routine line of an interaction THEN it is written as given', async () => {
    const fields = { command: 'facts', guild: '333333333333333333', interactionId: '444444444444444444', outcome: 'ok', latencyMs: 3 };
    const { lines } = await logged((log) => log.info(fields, 'interaction handled'));
    expect(lines[0]).toMatchObject({ ...fields, msg: 'interaction handled', app: 'quitgpt-bot' });
  });

  it('GIVEN text without a token THEN scrubTokens leaves it alone', () => {
    expect(scrubTokens('GET /api/v10/channels/1/messages failed')).toBe('GET /api/v10/channels/1/messages failed');
    expect(scrubTokens('/webhooks/1/tok?wait=true')).toBe('/webhooks/1/[redacted]?wait=true');
  });
});
