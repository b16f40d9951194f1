import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LoadResult, LoadSpec } from './loadgen.ts';

export type { LoadResult, LoadSpec } from './loadgen.ts';

const LOADGEN = new URL('./loadgen.ts', import.meta.url).pathname;

/**
 * Runs one round of load in a child process (bench/loadgen.ts), so the generator's CPU is never
 * counted against, or taken from, the process under test's measurement.
 */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [LOADGEN, JSON.stringify(spec)], {
    maxBuffer: 1024 * 1024,
    timeout: (spec.warmupSeconds + spec.seconds + 30) * 1000,
  });
  return JSON.parse(stdout) as LoadResult;
}
