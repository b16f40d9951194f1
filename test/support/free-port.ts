/**
 * A loopback port the kernel just handed out, never one handed out before in this worker: the
 * bench's (bench/processes.ts says why), so tests and bench pick ports one way.
 */
export { freePort } from '../../bench/processes.ts';
