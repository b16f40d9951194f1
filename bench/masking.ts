/**
 * Masking benchmark: a generated SecretList of ~32 MB (tens of thousands of Secrets, each with
 * its last-applied annotation) through `createResponseMasker`, against a plain `PassThrough` of
 * the same body in the same run.
 *
 * - Throughput: the body is generated once up front (so generation is not timed), then streamed
 *   in 64 KiB chunks through each variant into a sink that drops it; best of three interleaved
 *   runs each, in wall-clock time and in this process's CPU time. The variants: the masker as
 *   shipped, the masker with `parseOnly` (every item parsed, as before the byte-level path),
 *   and a PassThrough.
 * - Peak RSS: each variant runs in its own child process (bench/masking-rss.ts) that generates the
 *   body lazily, so the number is the variant's own peak (`maxRSS`), not the parent's list copy.
 *
 * `npm run bench` imports `benchMasking`; `node bench/masking.ts` runs it alone.
 */
import { execFile } from 'node:child_process';
import { PassThrough, Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createResponseMasker, planMasking } from '../gateway/masking/index.ts';
import { compileMaskingPolicy } from '../src/masking/policy.ts';
import { benchPlanInputs, itemsFor, secretListChunks } from './masking-body.ts';

const TARGET_BYTES = 32 * 1024 * 1024;
const RUNS = 3;

export interface MaskingBenchResult {
  mbPerSecond: number;
  /** MB per second of this process's CPU time: what the neighbours' load affects least. */
  mbPerCpuSecond: number;
  /** The parse-based masker alone (`parseOnly`: no byte-level path), in the same rounds. */
  parseOnlyMbPerSecond: number;
  parseOnlyMbPerCpuSecond: number;
  passthroughMbPerSecond: number;
  /**
   * JSON.parse plus JSON.stringify of every item alone, on the same bytes: the most a masker that
   * parses each item and writes it back can reach on this machine right now.
   */
  parseStringifyMbPerSecond: number;
  /** Masked throughput as a fraction of passthrough throughput. */
  ratio: number;
  /** The body's size, MB. */
  bodyMb: number;
  peakRssMb: number;
  passthroughPeakRssMb: number;
  /** Peak RSS minus the RSS before the first byte (what streaming the body cost), MB. */
  streamingRssMb: number;
  passthroughStreamingRssMb: number;
}

const MB = 1024 * 1024;
const round = (n: number): number => Math.round(n * 10) / 10;

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

/** Time and CPU time to stream `chunks` through a fresh transform into a sink that drops everything. */
async function timeThrough(chunks: readonly Buffer[], makeTransform: () => Transform): Promise<Timing> {
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(_chunk: Buffer, _encoding, callback) {
      callback();
    },
  });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await pipeline(Readable.from(chunks), makeTransform(), sink);
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

/** The best (lowest) of each figure over several timings. */
function best(timings: readonly Timing[]): Timing {
  return {
    seconds: Math.min(...timings.map((t) => t.seconds)),
    cpuSeconds: Math.min(...timings.map((t) => t.cpuSeconds)),
  };
}

async function peakRss(
  variant: 'masker' | 'passthrough',
  items: number,
): Promise<{ peakRssMb: number; startRssMb: number }> {
  const child = fileURLToPath(new URL('./masking-rss.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [child, variant, String(items)], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as { peakRssMb: number; startRssMb: number };
}

export async function benchMasking(): Promise<MaskingBenchResult> {
  const items = itemsFor(TARGET_BYTES);
  const chunks = [...secretListChunks(items)];
  const megabytes = chunks.reduce((sum, c) => sum + c.length, 0) / MB;
  const { info, caller } = benchPlanInputs();
  const plan = planMasking(info, caller, compileMaskingPolicy(undefined), 'GET');
  if (plan === null) throw new Error('no masking plan for secrets');
  const masker = (parseOnly: boolean) => () =>
    createResponseMasker(plan, {
      statusCode: 200,
      contentType: 'application/json',
      contentEncoding: undefined,
      parseOnly,
    });

  const runs: Record<'passthrough' | 'masked' | 'parseOnly', Timing[]> = {
    passthrough: [],
    masked: [],
    parseOnly: [],
  };
  for (let run = 0; run < RUNS; run++) {
    runs.passthrough.push(await timeThrough(chunks, () => new PassThrough()));
    runs.masked.push(await timeThrough(chunks, masker(false)));
    runs.parseOnly.push(await timeThrough(chunks, masker(true)));
  }
  const passthrough = best(runs.passthrough).seconds;
  const masked = best(runs.masked);
  const parseOnly = best(runs.parseOnly);
  const body = Buffer.concat(chunks).toString('utf8');
  const itemTexts = (JSON.parse(body) as { items: unknown[] }).items.map((item) => JSON.stringify(item));
  let parseStringify = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    for (const text of itemTexts) JSON.stringify(JSON.parse(text));
    parseStringify = Math.min(parseStringify, Number(process.hrtime.bigint() - started) / 1e9);
  }
  itemTexts.length = 0;
  chunks.length = 0;
  const rss = await peakRss('masker', items);
  const passthroughRss = await peakRss('passthrough', items);
  return {
    bodyMb: round(megabytes),
    peakRssMb: round(rss.peakRssMb),
    passthroughPeakRssMb: round(passthroughRss.peakRssMb),
    streamingRssMb: round(rss.peakRssMb - rss.startRssMb),
    passthroughStreamingRssMb: round(passthroughRss.peakRssMb - passthroughRss.startRssMb),
    mbPerSecond: round(megabytes / masked.seconds),
    mbPerCpuSecond: round(megabytes / masked.cpuSeconds),
    parseOnlyMbPerSecond: round(megabytes / parseOnly.seconds),
    parseOnlyMbPerCpuSecond: round(megabytes / parseOnly.cpuSeconds),
    passthroughMbPerSecond: round(megabytes / passthrough),
    parseStringifyMbPerSecond: round(megabytes / parseStringify),
    ratio: Math.round((passthrough / masked.seconds) * 1000) / 1000,
  };
}

if (import.meta.main) {
  const items = itemsFor(TARGET_BYTES);
  process.stdout.write(`masking ${items} Secrets (~${TARGET_BYTES / MB} MB)\n`);
  process.stdout.write(`${JSON.stringify(await benchMasking(), null, 2)}\n`);
}
