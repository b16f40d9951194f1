/**
 * `npm run bench`: every figure is a ratio against a baseline measured in the same run on the same
 * machine, because the machines are shared and absolute numbers drift with the neighbours' load.
 */
import { benchMasking } from './masking.ts';
import { benchProxyOverhead } from './proxy-overhead.ts';

const fmt = (n: number, digits = 1) => n.toFixed(digits);

const requests = Number(process.env['BENCH_REQUESTS'] ?? 4000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16);

const proxy = await benchProxyOverhead({ requests, concurrency });
const row = (name: string, r: { requestsPerSecond: number; p50Ms: number; p99Ms: number }) =>
  `  ${name.padEnd(20)}${fmt(r.requestsPerSecond, 0).padEnd(9)} ${fmt(r.p50Ms, 2).padEnd(8)} ${fmt(r.p99Ms, 2)}`;
const ratios = (name: string, g: { throughputRatio: number; p50Ratio: number; cpuUsPerRequest: number }) =>
  `  ${name}: throughput ${fmt(g.throughputRatio, 2)} of direct, p50 latency ${fmt(g.p50Ratio, 2)}x, gateway CPU ${fmt(g.cpuUsPerRequest, 0)} µs per request`;
process.stdout.write(
  [
    `proxy overhead: ${requests} small GETs per round, concurrency ${concurrency}, best of 2 rounds each`,
    '  path                req/s     p50 ms   p99 ms',
    row('direct', proxy.direct),
    row('gateway', proxy.gateway.load),
    row('gateway + recording', proxy.recording.load),
    ratios('gateway', proxy.gateway),
    ratios('gateway + recording', proxy.recording),
    '',
  ].join('\n'),
);

const masking = await benchMasking();
process.stdout.write(
  [
    'masking: a ~32 MB list of ~29k Secrets (each with a last-applied annotation), masker vs PassThrough',
    `  masked ${fmt(masking.mbPerSecond)} MB/s; PassThrough ${fmt(masking.passthroughMbPerSecond, 0)} MB/s (it only moves references)`,
    `  peak RSS: masked ${fmt(masking.peakRssMb)} MB, PassThrough ${fmt(masking.passthroughPeakRssMb)} MB (each in its own child process)`,
    '',
  ].join('\n'),
);
