import { Metrics } from './metrics';
import { positionValue } from './metrics.collectors';
import type { AddressInfo } from 'node:net';
import { closeMetrics, serveMetrics } from './metrics.module';

describe('Metrics', () => {
  it('labels drop ids only while the drop is open: a drop that leaves the open set loses its series', async () => {
    const metrics = new Metrics({ defaults: false });
    metrics.preOrderOnOpenDrop('d1', { outcome: 'accepted' });
    metrics.preOrderOnOpenDrop('d1', { outcome: 'rejected', code: 'DROP.SOLD_OUT' });
    metrics.preOrderOnOpenDrop('d2', { outcome: 'accepted' });
    metrics.openDrops([{ dropId: 'd2', sold: 5, cap: 20 }]);
    const text = await metrics.scrape();
    expect(text).not.toContain('drop_id="d1"');
    expect(text).toContain('dropline_drop_pre_orders_total{drop_id="d2",outcome="accepted",code=""} 1');
    expect(text).toContain('dropline_drop_sell_through_ratio{drop_id="d2"} 0.25');
    // Counting again after the removal starts a fresh series.
    metrics.preOrderOnOpenDrop('d1', { outcome: 'accepted' });
    expect(await metrics.scrape()).toContain('dropline_drop_pre_orders_total{drop_id="d1",outcome="accepted",code=""} 1');
  });

  it('counts commands by type and outcome, and HTTP by route pattern ("unmatched" without one)', async () => {
    const metrics = new Metrics({ defaults: false });
    metrics.command('PlacePreOrder', { outcome: 'accepted' }, 0.002);
    metrics.command('PlacePreOrder', { outcome: 'accepted' }, 0.003);
    metrics.command('PlacePreOrder', { outcome: 'rejected', code: 'PREORDER.LIMIT_EXCEEDED' }, 0.001);
    metrics.httpRequest('GET', undefined, 404, 0.001);
    const text = await metrics.scrape();
    expect(text).toContain('dropline_commands_total{type="PlacePreOrder",outcome="accepted",code=""} 2');
    expect(text).toContain('dropline_commands_total{type="PlacePreOrder",outcome="rejected",code="PREORDER.LIMIT_EXCEEDED"} 1');
    expect(text).toContain('dropline_command_duration_seconds_count{type="PlacePreOrder"} 3');
    expect(text).toContain('dropline_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
  });

  it('adds what the per-command counters counted between two reads, from a scrape or from the registry', async () => {
    const metrics = new Metrics({ defaults: false });
    metrics.command('PlacePreOrder', { outcome: 'accepted' }, 0.002);
    metrics.writer.appended(0.01, [{ type: 'PreOrderPlaced' }, { type: 'VariantSoldOut' }]);
    metrics.preOrderOnOpenDrop('d1', { outcome: 'accepted' });
    expect(await metrics.scrape()).toContain('dropline_commands_total{type="PlacePreOrder",outcome="accepted",code=""} 1');
    for (let i = 0; i < 3; i++) metrics.command('PlacePreOrder', { outcome: 'accepted' }, 0.002);
    metrics.command('CancelPreOrder', { outcome: 'rejected', code: 'PREORDER.NOT_FOUND' }, 0.001);
    metrics.writer.appended(0.01, [{ type: 'PreOrderPlaced' }]);
    metrics.preOrderOnOpenDrop('d1', { outcome: 'accepted' });
    metrics.preOrderOnOpenDrop('d1', { outcome: 'rejected', code: 'DROP.SOLD_OUT' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('dropline_commands_total{type="PlacePreOrder",outcome="accepted",code=""} 4');
    expect(text).toContain('dropline_commands_total{type="CancelPreOrder",outcome="rejected",code="PREORDER.NOT_FOUND"} 1');
    expect(text).toContain('dropline_command_duration_seconds_count{type="PlacePreOrder"} 4');
    expect(text).toContain('dropline_events_appended_total{type="PreOrderPlaced"} 2');
    expect(text).toContain('dropline_events_appended_total{type="VariantSoldOut"} 1');
    expect(text).toContain('dropline_drop_pre_orders_total{drop_id="d1",outcome="accepted",code=""} 2');
    expect(text).toContain('dropline_drop_pre_orders_total{drop_id="d1",outcome="rejected",code="DROP.SOLD_OUT"} 1');
    expect((await metrics.commands.get()).values.find((v) => v.labels.type === 'PlacePreOrder')?.value).toBe(4);
  });

  it('keeps a failing collector from failing the scrape', async () => {
    const metrics = new Metrics({ defaults: false });
    metrics.onCollect(() => {
      throw new Error('boom');
    });
    metrics.onCollect(() => metrics.leaseHeld.labels('x', 'process').set(1));
    expect(await metrics.scrape()).toContain('dropline_lease_held{lease="x",store="process"} 1');
  });

  it('reads a gauge value from PostgreSQL and EventStoreDB positions', () => {
    expect(positionValue('812:42')).toBe(42);
    expect(positionValue('1024/1000')).toBe(1024);
    expect(positionValue(undefined)).toBeUndefined();
    expect(positionValue('nonsense')).toBeUndefined();
  });
});

describe('the METRICS_PORT listener (unit)', () => {
  it('that cannot start names the variable to fix: an address not of this machine, a port in use', async () => {
    const metrics = new Metrics({ defaults: false });
    await expect(serveMetrics(metrics, 0, '192.0.2.1')).rejects.toMatchObject({
      name: 'ConfigError',
      variable: 'METRICS_HOST',
      message: expect.stringContaining('"192.0.2.1" is not an address of this machine'),
    });
    const taken = await serveMetrics(metrics, 0, '127.0.0.1');
    try {
      const { port } = taken.address() as AddressInfo;
      await expect(serveMetrics(metrics, port, '127.0.0.1')).rejects.toMatchObject({ variable: 'METRICS_PORT' });
    } finally {
      await closeMetrics(taken);
    }
  });
});
