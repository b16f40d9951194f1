import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { processCpuMs } from './loadgen.ts';
import { minorFaults } from './page-faults.ts';

/**
 * The least recording a `cat` can cost, whatever the gateway does: every byte of the copy hashed
 * once and kept in Redis once, raw. A recorded copy holds each byte twice (stdin in, stdout back),
 * so per MB of `cat` this writes 2 MB, in 32 KiB entries (the stream recorder's batch), eight in
 * flight at a time (its largest append), each entry's hash chained to the last: separate commands,
 * since ioredis's pipeline cost 1.5–2.5× their CPU per MB. No base64, no script, no masking of
 * stdin, no JSON: what the gateway really does costs more. On cores shared by the client, the
 * sandbox, the gateway and Redis, a copy's throughput follows the CPU of them all, so comparing
 * this with what half of direct leaves for the recording (bench/run.ts) says whether the exec
 * target can be reached on this machine at all.
 *
 * The writer runs in a fresh process of its own. In the bench's process its CPU also counted
 * whatever that process's collector still had to do after the other parts: 15.0 ms per MB in one
 * full run against 5.0 in a run of two parts on the same machine; alternated in one process
 * holding what the masking part leaves, 5.2–9.4 measured in place against 5.0–5.6 in a fresh one.
 */

const PIECE = 32 * 1024;
const IN_FLIGHT = 8;

export interface RecordingFloor {
  /** CPU ms per MB of `cat` in the process that hashes and sends the bytes. */
  writerMsPerMb: number;
  /** CPU ms per MB of `cat` in Redis, when it runs on this machine. */
  redisMsPerMb: number | undefined;
  /** Page faults per MB of `cat` in Redis, when it runs here: memory it takes to keep the bytes. */
  redisFaultsPerMb: number | undefined;
  /** Entries of 32 KiB Redis kept per measurement. */
  entries: number;
}

export interface FloorOptions {
  megabytes: number;
  redisUrl: string;
  /** A stream key of the bench's own, deleted after each measurement. */
  key: string;
  redisPid: number | undefined;
  tries?: number;
}

/** The floor for a `cat` of `megabytes`, the least of `tries` measurements, in a fresh process. */
export async function measureRecordingFloor(options: FloorOptions): Promise<RecordingFloor> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [self, JSON.stringify(options)], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as RecordingFloor;
}

/** The same, in this process. */
async function measureHere(options: FloorOptions): Promise<RecordingFloor> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const piece = randomBytes(PIECE);
  const pieces = Math.ceil((2 * options.megabytes * 2 ** 20) / PIECE);
  let writer = Number.POSITIVE_INFINITY;
  let server = Number.POSITIVE_INFINITY;
  let serverFaults = Number.POSITIVE_INFINITY;
  try {
    for (let attempt = 0; attempt < (options.tries ?? 3); attempt++) {
      const redisBefore = options.redisPid ? processCpuMs(options.redisPid) : 0;
      const faultsBefore = options.redisPid ? minorFaults(options.redisPid) : 0;
      const before = process.cpuUsage();
      let prev = '';
      for (let i = 0; i < pieces; i += IN_FLIGHT) {
        const calls: Array<Promise<unknown>> = [];
        for (let j = i; j < Math.min(pieces, i + IN_FLIGHT); j++) {
          prev = createHash('sha256').update(prev).update(piece).digest('hex');
          calls.push(redis.xadd(options.key, '*', 'h', prev, 'd', piece));
        }
        await Promise.all(calls);
      }
      const used = process.cpuUsage(before);
      writer = Math.min(writer, (used.user + used.system) / 1000);
      if (options.redisPid) {
        server = Math.min(server, processCpuMs(options.redisPid) - redisBefore);
        serverFaults = Math.min(serverFaults, minorFaults(options.redisPid) - faultsBefore);
      }
      // Not a floor unless Redis kept every entry.
      const kept = await redis.xlen(options.key);
      if (kept !== pieces) throw new Error(`bench: the floor's stream kept ${kept} of ${pieces} entries`);
      await redis.del(options.key);
    }
  } finally {
    await redis.del(options.key).catch(() => undefined);
    redis.disconnect();
  }
  return {
    writerMsPerMb: writer / options.megabytes,
    redisMsPerMb: options.redisPid ? server / options.megabytes : undefined,
    redisFaultsPerMb: options.redisPid ? serverFaults / options.megabytes : undefined,
    entries: pieces,
  };
}

/**
 * How the recording's floor compares with what half of direct leaves for it, two ways. A direct
 * copy does not keep every core busy (its processes wait on one another), so twice its CPU is
 * what a recorded copy may take at the same occupancy; with every core busy it could take all the
 * machine's CPU time at half of direct's speed.
 */
export interface FloorJudgement {
  /**
   * CPU ms per MB of `cat` a recorded copy may add to the relay alone and still reach half of
   * direct: every process at most twice a direct copy's, less what the relay alone takes.
   */
  budgetMsPerMb: number;
  /** The same with every core of the machine busy for the whole copy: the most there can be. */
  everyCoreBudgetMsPerMb: number;
  floorMsPerMb: number;
  verdict:
    | 'relay-over-budget'
    | 'redis-elsewhere'
    | 'out-of-reach'
    | 'only-with-every-core-busy'
    | 'not-ruled-out';
}

export function judgeRecordingFloor(
  /** CPU ms per MB of `cat` over every process a copy keeps busy: direct, and the relay alone. */
  cpuPerMb: { direct: number; relayAlone: number },
  floor: Pick<RecordingFloor, 'writerMsPerMb' | 'redisMsPerMb'>,
  /** The machine's cores and a direct copy's speed, for the budget with every core busy. */
  machine: { cores: number; directMbPerSecond: number },
): FloorJudgement {
  const budgetMsPerMb = 2 * cpuPerMb.direct - cpuPerMb.relayAlone;
  const everyCoreBudgetMsPerMb =
    (machine.cores * 1000) / (machine.directMbPerSecond / 2) - cpuPerMb.relayAlone;
  const floorMsPerMb = floor.writerMsPerMb + (floor.redisMsPerMb ?? 0);
  const verdict =
    everyCoreBudgetMsPerMb <= 0
      ? 'relay-over-budget'
      : floor.redisMsPerMb === undefined
        ? 'redis-elsewhere'
        : floorMsPerMb > everyCoreBudgetMsPerMb
          ? 'out-of-reach'
          : floorMsPerMb > budgetMsPerMb
            ? 'only-with-every-core-busy'
            : 'not-ruled-out';
  return { budgetMsPerMb, everyCoreBudgetMsPerMb, floorMsPerMb, verdict };
}

if (import.meta.main) {
  const options = JSON.parse(process.argv[2] ?? '') as FloorOptions;
  process.stdout.write(JSON.stringify(await measureHere(options)));
}
