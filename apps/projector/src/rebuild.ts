import 'reflect-metadata';
import { loadConfigOrExit, openDatabases, readEnvironment } from '@dropline/platform';
import { warnOfLockWaits } from '@dropline/event-store';
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
    if (name) process.stderr.write(`projections:rebuild: unknown projection ${JSON.stringify(name)} (known: ${KNOWN.join(', ')})\n`);
    process.stderr.write(`usage: npm run projections:rebuild -- <${KNOWN.join('|')}>\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit(readEnvironment());
  if (!config.databaseUrl) {
    // Opening the embedded DATA_DIR would fail while the engine runs, and wait forever while it does not.
    process.stderr.write(
      `projections:rebuild needs DATABASE_URL (the database the engines' projectors share). On the embedded default, ` +
        `ask the running engine: POST /admin/projections/${name}/rebuild with an ops token.\n`,
    );
    process.exit(2);
  }
  const databases = await openDatabases(config);
  try {
    const ds = await openReadModels(
      databases.readModels,
      warnOfLockWaits('read-model migrations', (m) => process.stderr.write(`${m}\n`)),
    );
    await ds.destroy();
    await ProjectionRunner.requestRebuild(databases.readModels, name);
    process.stdout.write(`rebuild of ${name} requested; waiting for the lease holder\n`);
    const requestedAt = Date.now();
    let warned = false;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const p = await readRebuildProgress(databases.readModels, name);
      if (!warned && (!p || p.status === 'requested') && Date.now() - requestedAt > 30_000) {
        warned = true;
        process.stderr.write(
          `no projector has started the rebuild after 30 s: is an engine (RUN_PROJECTIONS) or apps/projector running against this database? It starts when one does.\n`,
        );
      }
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
