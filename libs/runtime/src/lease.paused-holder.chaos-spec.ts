import { spawn, type ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { followHolder, holderEnv } from '../../../test/support/lease-holder';
import { describeWithPostgres } from '../../../test/support/postgres';
import { ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS, AdvisoryLease } from './lease';

const LEASE = `relay:paused-holder-${process.pid}`;
/** The holder's idle-session timeout here: the default (ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS) is 15 s. */
const IDLE_MS = 3_000;

/**
 * The holder, an OS process: the built AdvisoryLease (npm test builds dist/ first). It reports
 * `held` every 100 ms without a query, and calls tryAcquire only every 10 s (or when it does not
 * hold): in between, only the lease's own background renewal keeps its session from idling past
 * the timeout.
 */
const HOLDER = `
const { Pool } = require('pg');
const { AdvisoryLease } = require(process.env.LEASE_MODULE);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
pool.on('error', () => undefined);
const lease = new AdvisoryLease(pool, process.env.LEASE_NAME, { idleSessionTimeoutMs: Number(process.env.IDLE_MS) });
let said;
let triedAt = 0;
(async () => {
  for (;;) {
    if (!lease.held || Date.now() - triedAt > 10000) {
      triedAt = Date.now();
      await lease.tryAcquire().catch(() => false);
    }
    if (lease.held !== said) console.log(JSON.stringify({ held: lease.held, fence: lease.fence, at: Date.now() }));
    said = lease.held;
    await new Promise((r) => setTimeout(r, 100));
  }
})();
`;

/**
 * The advisory lease when its holder stops running without its host going silent (SIGSTOP,
 * `docker pause`, a debugger): the kernel still answers the server's keepalive probes, so before
 * the idle-session timeout the lock stayed with the paused process until it ran again, and no
 * other instance ran the relay, the projections or the scheduler meanwhile. Now the server ends
 * the idle session, another instance takes over with a greater fence, and the holder, resumed,
 * counts the lease lost before it makes a query.
 */
describeWithPostgres('advisory lease: a paused holder (chaos)', () => {
  let holder: ChildProcess | undefined;
  let pool: Pool;

  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await pool?.end();
  });

  it('keeps a running holder past the timeout; a paused one is taken over, and counts it lost when resumed', async () => {
    expect(ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS).toBe(15_000);
    holder = spawn(process.execPath, ['-e', HOLDER], {
      env: { PATH: process.env.PATH ?? '', IDLE_MS: String(IDLE_MS), ...holderEnv(process.env.DATABASE_URL!, LEASE) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { lines, until } = followHolder(holder);

    await until('the holder to take the lease', () => lines.some((l) => l.held), 30_000);
    const heldFence = lines.find((l) => l.held)!.fence!;
    const contender = new AdvisoryLease(pool, LEASE);
    // Running, it keeps the lease for three idle timeouts though it queries only every 10 s itself.
    const runningUntil = Date.now() + 3 * IDLE_MS;
    while (Date.now() < runningUntil) {
      expect(await contender.tryAcquire()).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(lines.filter((l) => !l.held)).toEqual([]);

    holder.kill('SIGSTOP');
    const pausedAt = Date.now();
    await until('the contender to take the lease over', () => contender.tryAcquire(), 30_000);
    const takenAt = Date.now();
    expect(contender.fence).toBeGreaterThan(heldFence);
    // The server ends the session IDLE_MS after its last query, a background renewal at most a third of that before the pause.
    expect(takenAt - pausedAt).toBeGreaterThanOrEqual((IDLE_MS * 2) / 3 - 500);
    expect(takenAt - pausedAt).toBeLessThan(IDLE_MS + 5_000);

    holder.kill('SIGCONT');
    const resumedAt = Date.now();
    await until('the resumed holder to count the lease lost', () => lines.some((l) => !l.held), 10_000);
    const lostAt = lines.find((l) => !l.held)!.at;
    expect(lostAt - resumedAt).toBeLessThan(1_500);
    // It stays lost while the contender holds it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(lines[lines.length - 1].held).toBe(false);
    expect(await contender.tryAcquire()).toBe(true);
    console.log(
      `[chaos] paused holder: paused at 0 ms, contender took the lease at ${takenAt - pausedAt} ms ` +
        `(fence ${heldFence} → ${contender.fence}); resumed, the holder counted it lost ${lostAt - resumedAt} ms later`,
    );
    await contender.release();
  }, 120_000);
});
