import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Metrics } from './metrics';

const infra = path.resolve(__dirname, '../../../../infra');

/** Every PromQL expression of the dashboard: panel targets and template-variable queries. */
function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(infra, 'grafana/dashboards/dropline.json'), 'utf8'));
  const exprs: string[] = [];
  const visit = (panels: any[]) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) exprs.push(target.expr);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) if (variable.query?.query) exprs.push(variable.query.query);
  return exprs;
}

function alertExprs(): string[] {
  const rules = parse(readFileSync(path.join(infra, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ expr: string }> }>;
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** The series names a family exports: a histogram's _bucket, _sum and _count, every other family its own name. */
function exportedSeries(metrics: Metrics): Set<string> {
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name } = metric;
    const type = (metric as unknown as { type: string }).type;
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

const namesIn = (exprs: string[]) => [...new Set(exprs.flatMap((e) => e.match(/dropline_[a-z_]+/g) ?? []))].sort();

describe('infra/ dashboard and alert rules', () => {
  const exported = exportedSeries(new Metrics());

  it('the dashboard queries only metrics the engine exports (histograms by _bucket/_sum/_count)', () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(15);
    const used = namesIn(exprs);
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('the alert rules query only metrics the engine exports, and cover lag, stalls and dead letters', () => {
    const exprs = alertExprs();
    const used = namesIn(exprs);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
    expect(used).toEqual(
      expect.arrayContaining([
        'dropline_processor_lag_seconds',
        'dropline_processor_stalled',
        'dropline_consumer_messages_total',
        'dropline_dead_letters_waiting',
      ]),
    );
  });

  it('a histogram queried by its bare name would be caught (the check can fail)', () => {
    expect(exported.has('dropline_append_duration_seconds')).toBe(false);
    expect(exported.has('dropline_append_duration_seconds_bucket')).toBe(true);
    expect(exported.has('dropline_not_a_metric_total')).toBe(false);
  });
});
