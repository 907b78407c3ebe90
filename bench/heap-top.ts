// `node dist/bench/heap-top.js FILE.heapprofile [--by function|package] [--top N]`: where a child
// allocated its bytes, from a profile written by bench/heap-sampler.ts (`npm run bench -- --heap-prof DIR`).
// Self bytes only: a function's callees are counted under their own names.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export type HeapProfileNode = {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapProfileNode[];
};
export type HeapProfile = { head: HeapProfileNode };
export type Grouping = 'function' | 'package';
export type Allocation = { where: string; bytes: number; share: number };

/** A node_modules package, a `node:` module, the repo's own file, or "(native)". */
export function packageOf(url: string): string {
  if (!url) return '(native)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep?.[1]) return dep[1];
  if (url.startsWith('node:')) return url;
  // The last dist/ in the path: the checkout itself may sit under a directory named dist.
  const own = /^.*\/(dist\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

function keyOf(node: HeapProfileNode, by: Grouping): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = packageOf(url);
  // lineNumber is 0-based in V8's profiles.
  return by === 'package' ? where : `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
}

export function topAllocations(profile: HeapProfile, by: Grouping, top: number): { total: number; rows: Allocation[] } {
  const bytes = new Map<string, number>();
  let total = 0;
  const stack = [profile.head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.selfSize > 0) {
      const key = keyOf(node, by);
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    stack.push(...node.children);
  }
  const rows = [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, b]) => ({ where, bytes: b, share: total ? b / total : 0 }));
  return { total, rows };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { by: { type: 'string', default: 'function' }, top: { type: 'string', default: '30' } },
  });
  const file = positionals[0];
  const by = values.by;
  const top = Number(values.top);
  if (!file || (by !== 'function' && by !== 'package') || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: node dist/bench/heap-top.js FILE.heapprofile [--by function|package] [--top N]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
  const { total, rows } = topAllocations(profile, by, top);
  process.stdout.write(`${(total / 2 ** 20).toFixed(1)} MiB sampled\n`);
  for (const r of rows) process.stdout.write(`${(r.bytes / 2 ** 20).toFixed(2).padStart(8)} MiB ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.where}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
