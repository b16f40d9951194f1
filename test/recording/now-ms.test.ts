/**
 * Recording timestamps follow the wall clock through a step of the system clock (NTP, a VM resumed
 * from a snapshot), as the session index and `--since` need, and never go backwards. Stamped from
 * the clock the process started with, a forward step left every later session older than the
 * wall-clock time a reader asked "since" (test/recording/kubectl-sessions.test.ts then found none).
 */
import { afterEach, expect, it, vi } from 'vitest';
import { nowMs } from '../../gateway/recording/session-store.ts';

afterEach(() => {
  vi.useRealTimers();
});

it('follows a forward step of the wall clock', () => {
  const before = nowMs();
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 });
  const after = nowMs();
  expect(after - before).toBeGreaterThanOrEqual(59_990);
  expect(after - Date.now()).toBeLessThan(2);
});

it('never goes backwards when the wall clock steps back, and moves on once it passes again', () => {
  const start = Date.now();
  vi.useFakeTimers({ toFake: ['Date'], now: start + 120_000 });
  const ahead = nowMs();
  vi.setSystemTime(start);
  const held = nowMs();
  expect(held).toBeGreaterThanOrEqual(ahead);
  vi.setSystemTime(start + 180_000);
  expect(nowMs()).toBeGreaterThanOrEqual(start + 180_000);
});

it('keeps sub-millisecond precision and never repeats a smaller value', () => {
  const values = Array.from({ length: 1000 }, () => nowMs());
  for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
  expect(values.some((v) => v !== Math.floor(v))).toBe(true);
});
