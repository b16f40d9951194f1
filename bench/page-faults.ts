import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/**
 * A fresh process touches one byte of every page of 64 MiB it never used, three times over new
 * memory, and reports the CPU time per fault (less the same loop over pages already touched).
 */
const PROBE = `
import { readFileSync } from 'node:fs';
const faults = () => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
};
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const SIZE = 64 * 1024 * 1024;
const touch = (bytes) => { for (let at = 0; at < SIZE; at += 4096) bytes[at] = 1; };
let best = Infinity;
for (let round = 0; round < 3; round++) {
  const bytes = new Uint8Array(SIZE);
  const f0 = faults(); const c0 = cpuUs();
  touch(bytes);
  const cold = cpuUs() - c0; const taken = faults() - f0;
  const c1 = cpuUs(); touch(bytes); const warm = cpuUs() - c1;
  if (taken > 0) best = Math.min(best, (cold - warm) / taken);
}
process.stdout.write(JSON.stringify({ usPerFault: best }));
`;

/** CPU microseconds one page fault on fresh memory costs this machine (least of three rounds). */
export function pageFaultCostUs(): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return (JSON.parse(out) as { usPerFault: number }).usPerFault;
}
