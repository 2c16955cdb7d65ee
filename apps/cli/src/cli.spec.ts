import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCampaignLine } from '@dropline/replay';
import { handMadeCampaign } from '../../../libs/replay/src/testing/hand-made-campaign';
import { callerDirectory, runCli } from './main';
import { capturedIo as capture } from './testing/captured-io';
import { ProgressBar } from './progress-bar';

describe('dropline CLI', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dropline-cli-'));
    file = join(dir, 'campaign.ndjson');
    writeFileSync(file, `${handMadeCampaign().map(toCampaignLine).join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds its subcommands by file name', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/dead-letters .*\n.*export .*\n.*import .*\n.*rebuild-consumer .*\n.*replay .*\n.*token /);
  });

  it('replay --json is byte-identical run after run; timings go to stderr only', async () => {
    const args = [
      'replay',
      file,
      '--policy',
      'reorder-point',
      '--service-level',
      '0.90,0.95,0.99',
      '--lead-time',
      '1,2,3',
      '--review',
      '1,3,7',
      '--json',
    ];
    const first = capture();
    const second = capture();
    expect(await runCli(args, first)).toBe(0);
    expect(await runCli(args, second)).toBe(0);
    expect(second.out()).toBe(first.out());
    const json = JSON.parse(first.out());
    expect(json.format).toBe('dropline.replay/1');
    expect(json.runs).toHaveLength(27);
    expect(json.runs.find((r: { label: string }) => r.label === 'reorder-point service-level=0.95 L=2 R=1').skus[0]).toMatchObject({
      threshold: 14.97357,
      excessUnits: 22,
      restockRuns: 4,
    });
    expect(first.out()).not.toMatch(/events\/s/);
    expect(first.err()).toMatch(/events read in/);
  });

  it('replay prints a table and writes the report', async () => {
    const io = capture();
    const report = join(dir, 'report.html');
    expect(await runCli(['replay', file, '--lead-time', '2', '--review', '2', '--report', report], io)).toBe(0);
    expect(io.out()).toMatch(/policy\s+stock-out days\s+unmet/);
    expect(io.out()).toMatch(/Recommended per SKU/);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('chart-tradeoff');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
  });

  it('names the malformed line and exits 1', async () => {
    const broken = join(dir, 'broken.ndjson');
    const lines = handMadeCampaign().map(toCampaignLine);
    lines[4] = '{"streamName": ';
    writeFileSync(broken, `${lines.join('\n')}\n`);
    const io = capture();
    expect(await runCli(['replay', broken, '--json'], io)).toBe(1);
    expect(io.err()).toMatch(/broken\.ndjson:5: not valid JSON/);
    expect(io.out()).toBe('');
  });

  it('reads and writes relative paths where it was called from (context.cwd), not where it runs', async () => {
    const io = { ...capture(), cwd: dir };
    expect(
      await runCli(['replay', 'campaign.ndjson', '--lead-time', '2', '--review', '2', '--json', '--report', 'relative-report.html'], io),
    ).toBe(0);
    expect(JSON.parse(io.out()).format).toBe('dropline.replay/1');
    expect(readFileSync(join(dir, 'relative-report.html'), 'utf8')).toContain('chart-tradeoff');
    const missing = { ...capture(), cwd: dir };
    expect(await runCli(['replay', 'nope.ndjson'], missing)).toBe(2);
    expect(missing.err()).toContain(`cannot read ${join(dir, 'nope.ndjson')}`);
  });

  it("takes the caller's directory from INIT_CWD under `npm run dropline` only (npm runs scripts in the package root)", () => {
    expect(callerDirectory({ npm_lifecycle_event: 'dropline', INIT_CWD: '/home/me/campaigns' }, '/repo')).toBe('/home/me/campaigns');
    expect(callerDirectory({ npm_lifecycle_event: 'test', INIT_CWD: '/home/me' }, '/repo/sub')).toBe('/repo/sub');
    expect(callerDirectory({}, '/repo')).toBe('/repo');
  });

  it('rejects bad arguments with the usage, exit 2', async () => {
    const io = capture();
    expect(await runCli(['replay', file, '--service-level', '1.5'], io)).toBe(2);
    expect(io.err()).toMatch(/service level 1.5 must be strictly between 0 and 1/);
    expect(await runCli(['replay', file, '--policy', 'magic'], capture())).toBe(2);
    expect(await runCli(['replay'], capture())).toBe(2);
    expect(await runCli(['replay', file, '--nope'], capture())).toBe(2);
  });

  it('refuses what-if values it would ignore, repeat or misread, naming the flag (exit 2)', async () => {
    for (const [args, message] of [
      [['--policy', 'days-of-cover', '--service-level', '7'], /--service-level is for the reorder-point policy, which --policy leaves out/],
      [['--lead-time', '3,3'], /--lead-time lists 3 twice/],
      [['--lead-time', ''], /--lead-time takes at least one number/],
      [['--lead-time', '0x3'], /--lead-time: "0x3" is not a decimal number/],
      [['--review', '1e2'], /--review: "1e2" is not a decimal number/],
      [['--lead-time', '100000000'], /lead time 100000000 must be a whole number of days, 1 to 365/],
      [['--cover', '9999'], /cover 9999 must be a number of days, 0 to 365/],
      [['--fill-rate', '0x1'], /--fill-rate: "0x1" is not a decimal number/],
      [['--fill-rate', '0.9,0.95'], /--fill-rate takes one number/],
    ] as const) {
      const io = capture();
      expect(await runCli(['replay', file, ...args], io)).toBe(2);
      expect(io.err()).toMatch(message);
    }
  });

  it('refuses a --from/--to that is not a UTC day or an instant with its offset, before reading any store (exit 2)', async () => {
    for (const command of ['replay', 'export'])
      for (const [flags, message] of [
        [['--to', 'not-a-date'], /--to must be a UTC day \(2027-01-01\) or an instant with its offset/],
        [['--from', '2026-13-45'], /--from must be a UTC day/],
        [['--from', '2027-02-30'], /--from must be a UTC day/],
        // Read in the machine's time zone, it would select other drops on another machine.
        [['--to', '2026-12-04T16:00'], /--to must be a UTC day/],
        [['--from', '2027-02-01', '--to', '2027-01-01T00:00:00+01:00'], /--from must be before --to/],
      ] as const) {
        const io = capture();
        const out = command === 'export' ? ['--out', join(dir, 'never.ndjson')] : [];
        expect(await runCli([command, ...flags, ...out], io)).toBe(2);
        expect(io.err()).toMatch(message);
      }
  });
});

describe('progress bar', () => {
  it('stays quiet when stderr is not a TTY', () => {
    let written = '';
    const bar = new ProgressBar({ write: (t: string) => (written += t), isTTY: false }, 'replay', () => 5_000);
    bar.update(100, 0.5);
    bar.finish();
    expect(written).toBe('');
  });

  it('draws events, events/s and ETA on a TTY once the work takes over a second', () => {
    let now = 0;
    let written = '';
    const bar = new ProgressBar({ write: (t: string) => (written += t), isTTY: true }, 'replay', () => now);
    now = 500;
    bar.update(50_000, 0.1);
    expect(written).toBe('');
    now = 2_000;
    bar.update(200_000, 0.25);
    expect(written).toContain('200,000 events');
    expect(written).toContain('100,000 ev/s');
    expect(written).toContain('ETA 6s');
    bar.finish();
    expect(written.endsWith('\r\x1b[K')).toBe(true);
  });
});
