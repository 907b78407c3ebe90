import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const TOKEN = { DISCORD_TOKEN: 'abc.def.ghi' };

describe('loadConfig', () => {
  it('GIVEN only a token THEN the defaults are Discord, SQLite and kb/', () => {
    const c = loadConfig(TOKEN, { requireToken: true });
    expect(c).toMatchObject({ apiUrl: 'https://discord.com/api', storeUrl: 'sqlite://data/quitgpt.sqlite', kbDir: 'kb', logLevel: 'info' });
    expect(c.cdnHosts).toEqual(['cdn.discordapp.com', 'media.discordapp.net']);
  });

  it('GIVEN no token THEN one line names the variable, how to get one and the sandbox', () => {
    expect(() => loadConfig({}, { requireToken: true })).toThrow(ConfigError);
    try {
      loadConfig({ DISCORD_TOKEN: '  ' }, { requireToken: true });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('DISCORD_TOKEN');
      expect(msg).toContain('npm run sandbox');
      expect(msg).not.toContain('\n');
    }
  });

  it.each([
    ['DISCORD_API_URL', 'not a url'],
    ['DISCORD_CDN_URL', 'ftp://x'],
    ['STORE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['DEV_GUILD_ID', '12ab'],
  ])('GIVEN a bad %s THEN the error names it', (name, value) => {
    expect(() => loadConfig({ ...TOKEN, [name]: value })).toThrow(new RegExp(`^${name} is invalid`));
  });

  it('GIVEN DISCORD_CDN_URL THEN its host (with port) may serve attachments', () => {
    const c = loadConfig({ ...TOKEN, DISCORD_CDN_URL: 'http://127.0.0.1:4567/cdn', DISCORD_API_URL: 'http://127.0.0.1:4567/api/' });
    expect(c.cdnHosts).toContain('127.0.0.1:4567');
    expect(c.apiUrl).toBe('http://127.0.0.1:4567/api');
  });
});
