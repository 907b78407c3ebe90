// What the numbers were measured on: they mean little without the machine and how busy it was.
import { execFileSync } from 'node:child_process';
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
