import { parseArgs } from 'node:util';
import { exportCampaign, selectDrops } from '@dropline/replay';
import { CliCommand, listOf, pathFromCaller, UsageError, windowFlags } from '../cli-command';
import { ProgressBar } from '../progress-bar';

export const command: CliCommand = {
  name: 'export',
  summary: 'write every event of one or more drops (with envelopes) to an NDJSON campaign file',
  usage: 'dropline export (--drop <id>[,<id>…] | --city <city> | --from <day|instant> --to <day|instant>) --out <campaign.ndjson>',
  async run(argv, context) {
    const { values } = parseArgs({
      args: argv,
      options: {
        drop: { type: 'string', multiple: true },
        city: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.out) throw new UsageError('--out is required');
    const dropIds = listOf(values.drop);
    if (dropIds.length === 0 && values.city === undefined && values.from === undefined && values.to === undefined)
      throw new UsageError('name the drops: --drop, --city, or --from/--to');
    const window = windowFlags(values);
    const opened = await (await import('../cli-store')).openConfiguredStore(context.env, context.stderr);
    try {
      const drops = await selectDrops(opened.store, { dropIds, city: values.city, ...window });
      if (drops.length === 0) {
        context.stderr.write('dropline export: no drop matches the selection; nothing written\n');
        return 1;
      }
      const bar = new ProgressBar(context.stderr, 'export');
      const events = await exportCampaign(opened.store, drops, pathFromCaller(context, values.out), (n) => bar.update(n, undefined));
      bar.finish();
      context.stderr.write(`exported ${events} events of ${drops.length} drop(s) from the ${opened.describe} to ${values.out}\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
