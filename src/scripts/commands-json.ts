// `npm run commands:json`: exactly the array `npm run deploy` PUTs, and nothing else on stdout.
import { commandDefinitions } from '../bot/loader.js';
import { isMain } from './isMain.js';

export async function commandsJson(): Promise<string> {
  return `${JSON.stringify(await commandDefinitions(), null, 2)}\n`;
}

if (isMain(import.meta.url)) {
  process.stdout.write(await commandsJson());
}
