/**
 * Vitest global setup of the end-to-end project: the web console's bundle (dist/console), which
 * the browser tests and the demo serve, is built once before any test file runs when it is
 * missing or older than its sources, so parallel test files never rebuild it under each other.
 */
import { buildConsole, consoleBundleStale } from '../../scripts/build-console.ts';

export default async function setup(): Promise<void> {
  if (consoleBundleStale()) await buildConsole();
}
