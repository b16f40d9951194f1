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
process.stdout.write(
  [
    `proxy overhead: ${requests} small GETs per round, concurrency ${concurrency}, best of 2 rounds each`,
    '  path      req/s     p50 ms   p99 ms',
    `  direct    ${fmt(proxy.direct.requestsPerSecond, 0).padEnd(9)} ${fmt(proxy.direct.p50Ms, 2).padEnd(8)} ${fmt(proxy.direct.p99Ms, 2)}`,
    `  gateway   ${fmt(proxy.gateway.requestsPerSecond, 0).padEnd(9)} ${fmt(proxy.gateway.p50Ms, 2).padEnd(8)} ${fmt(proxy.gateway.p99Ms, 2)}`,
    `  gateway/direct throughput ratio: ${fmt(proxy.throughputRatio, 2)}   p50 latency ratio: ${fmt(proxy.p50Ratio, 2)}`,
    `  gateway CPU per request: ${fmt(proxy.gatewayCpuUsPerRequest, 0)} µs`,
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
