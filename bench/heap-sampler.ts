// Preloaded into a bot child with `--heap-prof DIR` (node --import): V8's sampling heap profiler,
// told to keep the objects garbage collection has already freed. Node's own --heap-prof drops them,
// so it shows what a process keeps, not what it allocates per answer; a p99 tail made of scavenges
// follows what is allocated (bench/analysis.md). The profile is written when the child is stopped
// (SIGTERM) as DIR/<time>-<pid>.heapprofile: Chrome DevTools' Memory tab opens it, and
// `node dist/bench/heap-top.js FILE` lists where the bytes were allocated. The profiler keeps every
// sample, so a profiled child's RSS and latencies are not comparable with an unprofiled run's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_HEAP_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  // One sample per 4 KiB on average: the default 32 KiB misses most of a 3 KB answer's objects.
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  // Before the bot's own SIGTERM handler: it may exit before a later listener runs. An in-process
  // session answers synchronously, so the file is written before this listener returns.
  process.prependOnceListener('SIGTERM', () => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) return void process.stderr.write(`heap-sampler: ${err.message}\n`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${Date.now()}-${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  });
}
