import 'reflect-metadata';
import { loadConfigOrExit, openDatabases, readEnvironment } from '@dropline/platform';
import { openReadModels, ProjectionRunner, readRebuildProgress } from '@dropline/projections';

const KNOWN = ['drops'];

/**
 * `npm run projections:rebuild -- <name>`: asks the projector holding the projection's lease
 * (engine or apps/projector, same database) to rebuild it, and prints progress until the swap.
 * It writes no read-model rows itself. Needs DATABASE_URL (an embedded PGlite is locked to the
 * running engine: use the admin route POST /admin/projections/<name>/rebuild there).
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !KNOWN.includes(name)) {
    process.stderr.write(`usage: npm run projections:rebuild -- <${KNOWN.join('|')}>\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit(readEnvironment());
  const databases = await openDatabases(config);
  try {
    const ds = await openReadModels(databases.readModels);
    await ds.destroy();
    await ProjectionRunner.requestRebuild(databases.readModels, name);
    process.stdout.write(`rebuild of ${name} requested; waiting for the lease holder\n`);
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const p = await readRebuildProgress(databases.readModels, name);
      if (!p) continue;
      const rate = p.eventsPerSecond === null ? '-' : Math.round(p.eventsPerSecond).toLocaleString('en');
      const eta = p.etaSeconds === null ? '-' : `${p.etaSeconds.toFixed(1)} s`;
      process.stdout.write(
        `${p.status}: ${p.eventsDone.toLocaleString('en')}${p.eventsTotal ? ` / ${p.eventsTotal.toLocaleString('en')}` : ''} events, ${rate} events/s, ETA ${eta}\n`,
      );
      if (p.status === 'done') break;
      if (p.status === 'failed') throw new Error(p.error ?? 'rebuild failed');
    }
  } finally {
    await databases.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`projections:rebuild failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
