// What the numbers were measured on: they mean little without the machine and how busy it was.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type MachineInfo = {
  nproc: number;
  cpuModel: string;
  /** `free -h` as printed, or the total from os when `free` is missing. */
  memory: string;
  node: string;
  platform: string;
};

export function machineInfo(): MachineInfo {
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // nproc is coreutils; os.availableParallelism() says the same on Linux.
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux: os.cpus() is the best there is
  }
  let memory = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total`;
  try {
    memory = execFileSync('free', ['-h'], { encoding: 'utf8' }).trimEnd();
  } catch {
    // procps missing
  }
  return { nproc, cpuModel, memory, node: process.version, platform: `${os.type()} ${os.release()}` };
}

/** 1, 5 and 15 minute load averages: other work on the machine skews every figure. */
export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return [a, b, c];
}

const PROBE_DOC = {
  title: 'Alternatives to ChatGPT · été',
  fields: Array.from({ length: 12 }, (_, i) => ({ name: `Field ${i}`, value: 'Open weights: yes · Runs on your computer: yes · Free tier: yes\n'.repeat(3) })),
};

/**
 * The machine's single-thread speed now, in µs for a fixed unit of work (JSON out and back and a
 * SHA-256 of a 3 KB document: the kind of work a bot does), the best of several batches. The same
 * cloud machine has run the same baseline at twice the CPU per answer an hour later (neighbours on
 * the host): throughput ratios to the baseline hardly move with it, absolute targets (/pledge per
 * second) do. Taken before and after a run so the report says which machine it ran on.
 */
export function speedProbe(batches = 7, perBatch = 200): number {
  let best = Number.POSITIVE_INFINITY;
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) {
      const text = JSON.stringify(PROBE_DOC);
      createHash('sha256').update(text).digest();
      JSON.parse(text);
    }
    best = Math.min(best, ((performance.now() - start) * 1000) / perBatch);
  }
  return best;
}
