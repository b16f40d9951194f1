import { describe, expect, it } from 'vitest';
import { minorFaults, pageFaultCostUs } from '../../bench/page-faults.ts';

// The bench's page-fault readings: the count from /proc and what one costs this machine.
describe('page faults in the bench', () => {
  it('counts the faults of touching memory this process never used', () => {
    const before = minorFaults(process.pid);
    // 16 MiB of fresh memory, one byte written per page: one fault per page at least for most of
    // them (an allocator may hand back a few pages it had touched before).
    const bytes = new Uint8Array(16 * 1024 * 1024);
    for (let at = 0; at < bytes.length; at += 4096) bytes[at] = 1;
    expect(minorFaults(process.pid) - before).toBeGreaterThan(2048);
  });

  it('measures what one fault costs in a process of its own', () => {
    const us = pageFaultCostUs();
    expect(Number.isFinite(us)).toBe(true);
    expect(us).toBeGreaterThan(0);
  });
});
