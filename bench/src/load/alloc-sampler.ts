import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/*
 * Preload (`node --require …/alloc-sampler.js`) of an engine whose allocations a scenario measures:
 * with BENCH_ALLOC_PROFILE=<file> set, the first SIGUSR2 starts V8's sampling heap profiler and
 * the second stops it and writes the profile to <file>. The sampler keeps the samples of objects
 * the garbage collector already freed (includeObjectsCollectedByMinorGC/MajorGC), so the profile
 * is what the process allocated in between, short-lived garbage included: the per-request churn
 * that drives the scavenges. Loaded by nothing but the benchmark.
 */
const target = process.env.BENCH_ALLOC_PROFILE;
if (target) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', {
          samplingInterval: 16_384,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        } as object),
      );
      return;
    }
    session.post('HeapProfiler.stopSampling', (error, result) => {
      // Renamed into place, so that the scenario never reads half a file.
      writeFileSync(`${target}.part`, error ? JSON.stringify({ error: error.message }) : JSON.stringify(result.profile));
      renameSync(`${target}.part`, target);
    });
  });
}
