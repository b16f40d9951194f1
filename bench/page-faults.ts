import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Page faults: what a process pays the first time it touches memory, and what one costs here.
 *
 * A process that writes to memory it never touched (or that its allocator gave back to the kernel)
 * takes a minor page fault per 4 KiB page, whose price is the machine's: 11–16 µs of CPU on the
 * virtual machine of the thirty-seventh round (docs/performance.md), where two thirds of Redis's
 * CPU in a recorded `cat` went to taking pages for the bytes it keeps. The bench prints both, so
 * figures from different machines can be read apart.
 */

/** Minor page faults a process has taken so far (`minflt`, field 10 of `/proc/<pid>/stat`). */
export function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

const PROBE_BYTES = 64 * 1024 * 1024;

/**
 * CPU microseconds one page fault on fresh memory costs this machine: a fresh process touches one
 * byte of every page of 64 MiB it never used, three times over new memory, and reports the least
 * CPU time per fault (less the same loop over pages already touched).
 */
export function pageFaultCostUs(): number {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (JSON.parse(out) as { usPerFault: number }).usPerFault;
}

function probe(): number {
  const cpuUs = (): number => {
    const used = process.cpuUsage();
    return used.user + used.system;
  };
  const touch = (bytes: Uint8Array): void => {
    for (let at = 0; at < bytes.length; at += 4096) bytes[at] = 1;
  };
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const bytes = new Uint8Array(PROBE_BYTES);
    const faultsBefore = minorFaults(process.pid);
    const coldStart = cpuUs();
    touch(bytes);
    const cold = cpuUs() - coldStart;
    const taken = minorFaults(process.pid) - faultsBefore;
    const warmStart = cpuUs();
    touch(bytes);
    const warm = cpuUs() - warmStart;
    if (taken > 0) best = Math.min(best, (cold - warm) / taken);
  }
  return best;
}

if (import.meta.main) process.stdout.write(JSON.stringify({ usPerFault: probe() }));
