import { fact } from '../../testing/read-model-facts';
import { evolveProductionRun } from './production-runs.read-model';

describe('production runs read model', () => {
  it('requested → started → completed, each once', () => {
    const run = evolveProductionRun(
      null,
      fact({
        type: 'ProductionRunRequested',
        data: { dropId: 'u1', runId: 'r1', microfactoryId: 'mf-1', unitsBySku: { 'TEE-M': 4 }, requestedAt: 'a' },
      }),
    )!;
    expect(run).toMatchObject({ runId: 'r1', status: 'requested', unitsBySku: { 'TEE-M': 4 }, producedBySku: null });
    const started = evolveProductionRun(run, fact({ type: 'ProductionRunStarted', data: { dropId: 'u1', runId: 'r1', startedAt: 'b' } }))!;
    expect(started).toMatchObject({ status: 'started', startedAt: 'b' });
    const completedEvent = fact({
      type: 'ProductionRunCompleted',
      data: {
        dropId: 'u1',
        runId: 'r1',
        producedBySku: { 'TEE-M': 4 },
        rejectedBySku: { 'TEE-M': 0 },
        goodBySku: { 'TEE-M': 4 },
        surplusBySku: {},
        coveredPreOrderCount: 2,
        uncoveredPreOrderCount: 0,
        completedAt: 'c',
      },
    });
    const completed = evolveProductionRun(started, completedEvent)!;
    expect(completed).toMatchObject({ status: 'completed', completedAt: 'c', producedBySku: { 'TEE-M': 4 } });
    expect(evolveProductionRun(completed, completedEvent)).toBe(completed);
    expect(
      evolveProductionRun(completed, fact({ type: 'ProductionRunStarted', data: { dropId: 'u1', runId: 'r1', startedAt: 'd' } })),
    ).toBe(completed);
  });
});
