/**
 * Preloaded into a benchmarked gateway by `npm run bench -- --alloc-profile` (`node --import`):
 * V8's sampling heap profiler over every allocation, objects the collector already freed included
 * (what `--heap-prof` leaves out, and where the collector's share of a request comes from), from
 * 2 s after start (the modules are loaded by then) until the process exits. The profile is written
 * to $HOOP_BENCH_ALLOC_PROFILE at exit: an in-process inspector session answers synchronously, so
 * an exit handler can stop the sampling and write the file.
 *
 * Only for profiling runs: the preload is TypeScript, so it loads Node's type stripper (~40 MB of
 * RSS) into the gateway, and sampling every 4 KB costs CPU.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env['HOOP_BENCH_ALLOC_PROFILE'];
if (out) {
  const session = new Session();
  session.connect();
  setTimeout(() => {
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }, 2000).unref();
  process.once('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(out, JSON.stringify(result.profile));
    });
  });
}
