/**
 * Preloaded into a benchmarked gateway or bare proxy by `npm run bench -- --alloc-profile`
 * (`node --import`): V8's sampling heap profiler over every allocation, objects the collector
 * already freed included (what `--heap-prof` leaves out, and where the collector's share of a
 * request comes from), from 2 s after start (the modules are loaded by then) until the process
 * exits. The profile is written to $HOOP_BENCH_ALLOC_PROFILE at exit: an in-process inspector
 * session answers synchronously, so an exit handler can stop the sampling and write the file.
 *
 * With $HOOP_BENCH_ALLOC_SURVIVORS=1 (`--survivors-profile`) a sample is dropped when a young
 * collection frees its object, so the profile holds only what survived one: what was promoted
 * to the old generation (and freed there by a full collection, or still alive). Those are the
 * objects that make young collections expensive, since each is copied, and the full ones frequent.
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
      includeObjectsCollectedByMinorGC: process.env['HOOP_BENCH_ALLOC_SURVIVORS'] !== '1',
    });
  }, 2000).unref();
  process.once('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (!error) writeFileSync(out, JSON.stringify(result.profile));
    });
  });
}
