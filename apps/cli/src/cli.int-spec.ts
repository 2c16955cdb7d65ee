import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCampaignLine } from '@dropline/replay';
import { HAND_DROP_ID, handMadeCampaign } from '../../../libs/replay/src/testing/hand-made-campaign';
import { runCli } from './main';
import { capturedIo as capture } from './testing/captured-io';

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
