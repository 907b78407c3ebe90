import { pathToFileURL } from 'node:url';

/** True when the module was run as a script rather than imported (by a test, say). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === moduleUrl;
}
