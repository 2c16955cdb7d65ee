import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  CampaignSeries,
  CampaignSeriesBuilder,
  policyGrid,
  policyNamed,
  readCampaignFile,
  readCampaignFromStore,
  RESTOCK_POLICIES,
  renderReport,
  replayCampaign,
  replayJson,
  replayTable,
  selectDrops,
} from '@dropline/replay';
import { CliCommand, CliContext, listOf, numbersOf, pathFromCaller, readableFile, UsageError, windowFlags } from '../cli-command';
import { ProgressBar } from '../progress-bar';

const axisFlags = Object.fromEntries(
  RESTOCK_POLICIES.flatMap((p) => p.axes.map((a) => [a.flag, { type: 'string' as const, multiple: true as const }])),
);

export const command: CliCommand = {
  name: 'replay',
  summary: 'replay a campaign day by day against a grid of restock policies; table, --json, --report',
  usage: [
    'dropline replay (<campaign.ndjson> | --drop <id>[,<id>…] | --city <city> [--from <day|instant> --to <day|instant>])',
    `    [--policy ${RESTOCK_POLICIES.map((p) => p.name).join(',')}] [--lead-time 7,14,21] [--review 1,3,7]`,
    ...RESTOCK_POLICIES.flatMap((p) => p.axes.map((a) => `    [--${a.flag} ${a.defaults.join(',')}]   (${p.name})`)),
    '    [--fill-rate 0.95] [--json] [--report report.html]',
  ].join('\n'),
  async run(argv, context) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        drop: { type: 'string', multiple: true },
        city: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        policy: { type: 'string', multiple: true },
        'lead-time': { type: 'string', multiple: true },
        review: { type: 'string', multiple: true },
        'fill-rate': { type: 'string' },
        json: { type: 'boolean' },
        report: { type: 'string' },
        ...axisFlags,
      },
      strict: true,
      allowPositionals: true,
    });
    const flags = values as Record<string, string | string[] | boolean | undefined>;
    const dropIds = listOf(values.drop);
    const fromStore = dropIds.length > 0 || values.city !== undefined || values.from !== undefined || values.to !== undefined;
    if (positionals.length > 1 || (positionals.length === 1) === fromStore)
      throw new UsageError('give one campaign file, or --drop/--city/--from/--to to read the configured store');

    const policyNames = listOf(values.policy);
    const policies = (policyNames.length > 0 ? policyNames : RESTOCK_POLICIES.map((p) => p.name)).map((name) => {
      try {
        return policyNamed(name);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    });
    const window = windowFlags(values);
    for (const policy of RESTOCK_POLICIES)
      if (!policies.includes(policy))
        for (const axis of policy.axes)
          if (flags[axis.flag] !== undefined)
            throw new UsageError(`--${axis.flag} is for the ${policy.name} policy, which --policy leaves out`);
    const leadTimeDays = numbersOf('lead-time', values['lead-time']) ?? [7, 14, 21];
    const reviewDays = numbersOf('review', values.review) ?? [1, 3, 7];
    const axes: Record<string, number[]> = {};
    for (const policy of RESTOCK_POLICIES)
      for (const axis of policy.axes) {
        const given = numbersOf(axis.flag, flags[axis.flag] as string[] | undefined);
        if (given) axes[axis.key] = given;
      }
    const [targetFillRate] = numbersOf('fill-rate', values['fill-rate']) ?? [0.95];
    if (listOf(values['fill-rate']).length > 1) throw new UsageError('--fill-rate takes one number');
    if (!(targetFillRate > 0 && targetFillRate <= 1)) throw new UsageError('--fill-rate must be in (0, 1]');
    let grids;
    try {
      grids = policies.map((policy) => policyGrid(policy, { leadTimeDays, reviewDays, axes }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }

    const started = performance.now();
    const bar = new ProgressBar(context.stderr, 'replay');
    let campaign: CampaignSeries;
    let source: string;
    if (fromStore) {
      ({ campaign, source } = await readFromStore(context, { dropIds, city: values.city, ...window }, bar));
    } else {
      const file = await readableFile(context, positionals[0]);
      const builder = new CampaignSeriesBuilder();
      // No event-id index: a repeated line already breaks its stream's revision sequence.
      await readCampaignFile(file, (event, line) => builder.add(event, line), {
        uniqueEventIds: false,
        onProgress: (p) => bar.update(p.linesRead, p.totalBytes ? p.bytesRead / p.totalBytes : undefined),
      });
      campaign = builder.build();
      source = positionals[0];
    }
    const read = performance.now();
    const result = replayCampaign(campaign, { grids, targetFillRate });
    const replayed = performance.now();
    bar.finish();

    context.stdout.write(values.json ? replayJson(result) : replayTable(result));
    if (values.report) {
      await writeFile(pathFromCaller(context, values.report), renderReport(result, campaign, { source }), 'utf8');
      context.stderr.write(`report written to ${values.report}\n`);
    }
    const seconds = (replayed - started) / 1000;
    context.stderr.write(
      `${campaign.events} events read in ${((read - started) / 1000).toFixed(2)} s, ${result.runs.length} runs × ${campaign.series.length} SKUs in ${((replayed - read) / 1000).toFixed(2)} s` +
        ` (${Math.round(campaign.events / Math.max(seconds, 1e-9)).toLocaleString('en-US')} events/s overall)\n`,
    );
    return 0;
  },
};

async function readFromStore(
  context: CliContext,
  selection: { dropIds: string[]; city?: string; from?: string; to?: string },
  bar: ProgressBar,
): Promise<{ campaign: CampaignSeries; source: string }> {
  const opened = await (await import('../cli-store')).openConfiguredStore(context.env, context.stderr);
  try {
    const drops = await selectDrops(opened.store, selection);
    if (drops.length === 0) throw new UsageError('no drop matches the selection');
    const builder = new CampaignSeriesBuilder();
    let n = 0;
    await readCampaignFromStore(opened.store, drops, (event) => {
      builder.add(event, ++n);
      if (n % 10_000 === 0) bar.update(n, undefined);
    });
    return { campaign: builder.build(), source: `${opened.describe}: ${drops.map((d) => `drop-${d}`).join(', ')}` };
  } finally {
    await opened.close();
  }
}
