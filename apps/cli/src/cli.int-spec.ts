import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCampaignLine } from '@dropline/replay';
import { HAND_DROP_ID, handMadeCampaign } from '../../../libs/replay/src/testing/hand-made-campaign';
import { runCli } from './main';
import { capturedIo as capture } from './testing/captured-io';
import { leaseKey } from '@dropline/runtime';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';

/**
 * `dropline import`, `export` and `replay --drop` against a real embedded store (PGlite in a
 * DATA_DIR): a campaign imported into a sandbox comes back out of it line for line; a drop id the
 * store does not hold is an error naming it, not an empty campaign file with exit 0; a campaign
 * file that is not there is named before any sandbox is created.
 */
describe('dropline import, export and replay --drop on the embedded store', () => {
  let dir: string;
  let sandbox: string;
  let campaign: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dropline-cli-store-'));
    sandbox = join(dir, 'sandbox');
    campaign = join(dir, 'campaign.ndjson');
    writeFileSync(campaign, `${handMadeCampaign().map(toCampaignLine).join('\n')}\n`);
    const io = capture({});
    expect(await runCli(['import', campaign, '--sandbox', sandbox], io)).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports a named drop: the campaign that was imported, line for line', async () => {
    const out = join(dir, 'exported.ndjson');
    const io = capture({ DATA_DIR: sandbox });
    expect(await runCli(['export', '--drop', HAND_DROP_ID, '--out', out], io)).toBe(0);
    expect(io.err()).toContain(`exported ${handMadeCampaign().length} events of 1 drop(s)`);
    const lines = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { streamName: string; revision: number; type: string; data: unknown });
    expect(lines(readFileSync(out, 'utf8')).map((l) => [l.streamName, l.revision, l.type, l.data])).toEqual(
      lines(readFileSync(campaign, 'utf8')).map((l) => [l.streamName, l.revision, l.type, l.data]),
    );
  }, 60_000);

  it('import of a file that is not there: exit 2 naming it, and no sandbox created', async () => {
    const missing = join(dir, 'nope.ndjson');
    const elsewhere = join(dir, 'not-created');
    const io = capture({});
    expect(await runCli(['import', missing, '--sandbox', elsewhere], io)).toBe(2);
    expect(io.err()).toContain(`dropline import: cannot read ${missing}`);
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('import of a file with a bad line: exit 1 naming the line, and no sandbox created', async () => {
    const broken = join(dir, 'broken.ndjson');
    const lines = handMadeCampaign().map(toCampaignLine);
    lines[4] = '{"streamName": ';
    writeFileSync(broken, `${lines.join('\n')}\n`);
    const elsewhere = join(dir, 'not-created-either');
    const io = capture({});
    expect(await runCli(['import', broken, '--sandbox', elsewhere], io)).toBe(1);
    expect(io.err()).toMatch(/broken\.ndjson:5: not valid JSON/);
    expect(existsSync(elsewhere)).toBe(false);
  });

  it("import of another drop's campaign reusing the stored event ids: exit 1 naming one, nothing imported", async () => {
    // The fixture numbers event ids from 1 for every drop id: the same ids, in other streams.
    const other = join(dir, 'same-ids.ndjson');
    writeFileSync(other, `${handMadeCampaign('hand-reused').map(toCampaignLine).join('\n')}\n`);
    const first = handMadeCampaign()[0];
    const io = capture({});
    expect(await runCli(['import', other, '--sandbox', sandbox], io)).toBe(1);
    expect(io.err()).toContain(`already holds ${handMadeCampaign().length} of the file's event ids in other streams`);
    expect(io.err()).toContain(
      `${first.eventId} (stored in ${first.streamName}, the file's in ${first.streamName.replace(HAND_DROP_ID, 'hand-reused')})`,
    );
    expect(io.err()).toContain('nothing imported');
    const exported = capture({ DATA_DIR: sandbox });
    expect(await runCli(['export', '--drop', 'hand-reused', '--out', join(dir, 'reused.ndjson')], exported)).toBe(1);
    expect(exported.err()).toContain('no drop hand-reused in the store');
  }, 60_000);

  it('refuses a drop id the store does not hold, naming it, and writes nothing', async () => {
    const out = join(dir, 'typo.ndjson');
    const exported = capture({ DATA_DIR: sandbox });
    expect(await runCli(['export', '--drop', `${HAND_DROP_ID},hand-2`, '--out', out], exported)).toBe(1);
    expect(exported.err()).toBe('dropline export: no drop hand-2 in the store (no drop-hand-2 stream); nothing written\n');
    expect(existsSync(out)).toBe(false);
    const nowhere = capture({ DATA_DIR: sandbox });
    expect(await runCli(['export', '--city', 'Nowhere', '--out', out], nowhere)).toBe(1);
    expect(nowhere.err()).toBe('dropline export: no drop matches the selection; nothing written\n');
    expect(existsSync(out)).toBe(false);

    const replayed = capture({ DATA_DIR: sandbox });
    expect(await runCli(['replay', '--drop', 'hand-2', '--json'], replayed)).toBe(1);
    expect(replayed.err()).toContain('dropline replay: no drop hand-2 in the store');
    expect(replayed.out()).toBe('');
  }, 60_000);
});

/**
 * `dropline import --into-configured-store` on a PostgreSQL server that engines use: the import is
 * one transaction, which holds every running reader of the log behind it until it commits. Said
 * before it starts when other sessions hold Dropline leases there.
 */
describeWithPostgres('dropline import into a PostgreSQL store engines are running on', () => {
  let db: TestPostgresDatabase;
  let dir: string;
  let campaign: string;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('cli_import_live');
    dir = mkdtempSync(join(tmpdir(), 'dropline-cli-live-'));
    campaign = join(dir, 'campaign.ndjson');
    writeFileSync(campaign, `${handMadeCampaign().map(toCampaignLine).join('\n')}\n`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });
  const env = () => ({ EVENT_STORE: 'postgres', DATABASE_URL: db.url, DATA_DIR: '/nonexistent/never-opened' });

  it('warns when another session holds a lease (a running engine’s reader), imports all the same, and says nothing otherwise', async () => {
    const engine = await db.pool.connect();
    try {
      // What a running engine's projector holds on this database: its lease, a session advisory lock.
      await engine.query('select pg_advisory_lock($1::bigint)', [leaseKey('projection:drops').toString()]);
      const io = capture(env());
      expect(await runCli(['import', campaign, '--into-configured-store'], io)).toBe(0);
      expect(io.err()).toContain(
        `dropline import: 1 other session(s) hold Dropline leases on this database: engines or their readers are running. ` +
          `The import of ${handMadeCampaign().length} events is one transaction`,
      );
      expect(io.err()).toContain(`imported ${handMadeCampaign().length} events`);
    } finally {
      // The engine stops: its lease ends with it.
      await engine.query('select pg_advisory_unlock_all()');
      engine.release();
    }
    const again = capture(env());
    expect(await runCli(['import', campaign, '--into-configured-store', '--allow-existing-streams'], again)).toBe(0);
    expect(again.err()).not.toContain('hold Dropline leases');
  });
});
