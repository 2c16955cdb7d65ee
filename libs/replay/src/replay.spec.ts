import { campaignSeriesOf } from './campaign/campaign-series';
import { daysOfCoverPolicy, reorderPointPolicy } from './policies';
import { policyGrid, replayCampaign } from './replay';
import { replayJson } from './replay-output';
import { HAND_SKU, handMadeCampaign } from './testing/hand-made-campaign';

const campaign = () => campaignSeriesOf(handMadeCampaign());
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0];
};

describe('campaign series', () => {
  it('turns the hand-made history into daily arrays, turned-away demand included', () => {
    const series = only(campaign().series);
    expect(series).toMatchObject({ dropId: 'hand-1', sku: HAND_SKU, firstDay: '2027-03-01', days: 8, initialStock: 10 });
    expect(series.accepted).toEqual([2, 4, 4, 0, 2, 0, 4, 0]);
    expect(series.turnedAway).toEqual([0, 0, 0, 4, 3, 5, 3, 9]);
    expect(series.demand).toEqual([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(series.cancelled).toEqual([0, 0, 0, 0, 2, 0, 0, 0]);
    // The not-restockable return of po3 on day 7 is not stock.
    expect(series.returned).toEqual([0, 0, 0, 0, 0, 0, 4, 0]);
  });

  it('counts turned-away demand on the day its interval ended (earlier engines could start one days before the drop)', () => {
    const stretched = handMadeCampaign().map((e) =>
      e.type === 'DemandTurnedAway' ? { ...e, data: { ...e.data, intervalStart: '2027-01-15T08:00:00.000Z' } } : e,
    );
    expect(campaignSeriesOf(stretched)).toEqual(campaign());
  });

  it('gives the same series whatever the order of the events', () => {
    expect(campaignSeriesOf([...handMadeCampaign()].reverse())).toEqual(campaign());
  });

  it('starts the days at the first access phase: the first of `phases`, then earlyAccess, then the window', () => {
    const withDefinition = (change: (definition: Record<string, unknown>) => Record<string, unknown>) =>
      handMadeCampaign().map((e) =>
        e.type === 'DropScheduled' ? { ...e, data: { ...e.data, definition: change(e.data.definition as Record<string, unknown>) } } : e,
      );
    const phased = only(
      campaignSeriesOf(
        withDefinition((d) => ({
          ...d,
          phases: [
            { name: 'members', opensAt: '2027-02-26T10:00:00.000Z', audience: 'members' },
            { name: 'city', opensAt: '2027-02-27T10:00:00.000Z', audience: 'city' },
          ],
        })),
      ).series,
    );
    // Three days before the window (Feb 26, 27, 28) with no sales, then the eight days as before.
    expect(phased).toMatchObject({ firstDay: '2027-02-26', days: 11 });
    expect(phased.accepted).toEqual([0, 0, 0, 2, 4, 4, 0, 2, 0, 4, 0]);
    const early = only(
      campaignSeriesOf(
        withDefinition((d) => ({ ...d, earlyAccess: { opensAt: '2027-02-28T10:00:00.000Z', audience: 'repeat-customers' } })),
      ).series,
    );
    expect(early).toMatchObject({ firstDay: '2027-02-28', days: 9 });
  });
});

describe('replay of the hand-made campaign', () => {
  it('reorder point, service level 0.95, lead time 2, review 1', () => {
    // d̄ = 5, σ = √(32/7) = 2.138090, z(0.95) = 1.644854.
    // s = 5·2 + 1.644854·2.138090·√2 = 14.973570;  S = 5·3 + 1.644854·2.138090·√3 = 21.091354.
    // Start on hand 10, nothing on order. Review every day (end of day, position = on hand + on order):
    //   t0: demand 2 → 8.  position 8 ≤ s → order ⌈21.091354 − 8⌉ = 14, arrives t2.
    //   t1: demand 4 → 4.  position 4 + 14 = 18 > s.
    //   t2: +14 → 18, demand 4 → 14.  position 14 ≤ s → order ⌈7.091354⌉ = 8, arrives t4.
    //   t3: demand 4 → 10. position 18 > s.
    //   t4: +8 → 18, cancellation +2 → 20, demand 5 → 15. position 15 > s.
    //   t5: demand 5 → 10. position 10 ≤ s → order ⌈11.091354⌉ = 12, arrives t6+1 = t7.
    //   t6: return +4 → 14, demand 7 → 7.  position 19 > s.
    //   t7: +12 → 19, demand 9 → 10.  position 10 ≤ s → order 12, arrives t9 (after the campaign).
    // No stock-out; excess = 10 on hand + 12 on order = 22; 4 runs (14, 8, 12, 12) = 46 units.
    // End-of-day on hand 8 4 14 10 15 10 7 10, Σ 78 → mean 9.75 → 9.75 / 5 = 1.95 days of cover.
    const result = replayCampaign(campaign(), {
      grids: [policyGrid(reorderPointPolicy, { axes: { serviceLevel: [0.95] }, leadTimeDays: [2], reviewDays: [1] })],
      targetFillRate: 0.98,
    });
    const run = only(result.runs);
    expect(run.label).toBe('reorder-point service-level=0.95 L=2 R=1');
    const sku = only(run.skus);
    expect(sku.threshold).toBeCloseTo(14.97357, 5);
    expect(sku.target).toBeCloseTo(21.091354, 5);
    expect(sku).toMatchObject({ stockOutDays: 0, unmetUnits: 0, fillRate: 1, excessUnits: 22, restockRuns: 4, restockUnits: 46 });
    expect(sku.restocks).toEqual([
      { orderedOn: '2027-03-01', arrivesOn: '2027-03-03', units: 14 },
      { orderedOn: '2027-03-03', arrivesOn: '2027-03-05', units: 8 },
      { orderedOn: '2027-03-06', arrivesOn: '2027-03-08', units: 12 },
      { orderedOn: '2027-03-08', arrivesOn: '2027-03-10', units: 12 },
    ]);
    expect(sku.avgDaysOfCover).toBeCloseTo(1.95, 10);
  });

  it('days of cover 1, lead time 2, review 2', () => {
    // s = 5·(2 + 1) = 15; S = 5·(2 + 1 + 2) = 25. Reviews at the end of t0, t2, t4, t6.
    //   t0: demand 2 → 8.  review: 8 ≤ 15 → order 25 − 8 = 17, arrives t2.
    //   t1: demand 4 → 4.
    //   t2: +17 → 21, demand 4 → 17. review: 17 > 15.
    //   t3: demand 4 → 13.
    //   t4: cancellation +2 → 15, demand 5 → 10. review: 10 ≤ 15 → order 15, arrives t6.
    //   t5: demand 5 → 5.
    //   t6: +15 → 20, return +4 → 24, demand 7 → 17. review: 17 > 15.
    //   t7: demand 9 → 8.
    // No stock-out; excess 8; 2 runs (17, 15) = 32 units; on hand 8 4 17 13 10 5 17 8, Σ 82 → 10.25 / 5 = 2.05 days.
    const result = replayCampaign(campaign(), {
      grids: [policyGrid(daysOfCoverPolicy, { axes: { coverDays: [1] }, leadTimeDays: [2], reviewDays: [2] })],
      targetFillRate: 0.98,
    });
    const sku = only(only(result.runs).skus);
    expect(sku).toMatchObject({
      threshold: 15,
      target: 25,
      stockOutDays: 0,
      unmetUnits: 0,
      excessUnits: 8,
      restockRuns: 2,
      restockUnits: 32,
    });
    expect(sku.restocks.map((r) => r.units)).toEqual([17, 15]);
    expect(sku.avgDaysOfCover).toBeCloseTo(2.05, 10);
  });

  it('days of cover 0, lead time 3, review 3: the late order arrives after a stock-out', () => {
    // s = 5·3 = 15; S = 5·6 = 30. Reviews at the end of t0, t3, t6.
    //   t0: demand 2 → 8.  review: 8 ≤ 15 → order 22, arrives t3.
    //   t1: 4 → 4.   t2: 4 → 0 (exactly enough, not a stock-out).
    //   t3: +22 → 22, demand 4 → 18. review: 18 > 15.
    //   t4: +2 → 20, demand 5 → 15.   t5: demand 5 → 10.
    //   t6: +4 → 14, demand 7 → 7.  review: 7 ≤ 15 → order 23, arrives t9 (after the campaign).
    //   t7: demand 9, on hand 7 → 2 units unmet, a stock-out day, on hand 0.
    // stock-out days 1, unmet 2, fill rate 38/40 = 0.95, excess 0 + 23 = 23, runs 22 + 23 = 45 units.
    // On hand 8 4 0 18 15 10 7 0, Σ 62 → 7.75 / 5 = 1.55 days.
    const result = replayCampaign(campaign(), {
      grids: [policyGrid(daysOfCoverPolicy, { axes: { coverDays: [0] }, leadTimeDays: [3], reviewDays: [3] })],
      targetFillRate: 0.98,
    });
    const sku = only(only(result.runs).skus);
    expect(sku).toMatchObject({
      threshold: 15,
      target: 30,
      stockOutDays: 1,
      unmetUnits: 2,
      fillRate: 0.95,
      excessUnits: 23,
      restockRuns: 2,
      restockUnits: 45,
    });
    expect(sku.avgDaysOfCover).toBeCloseTo(1.55, 10);
  });

  it('recommends the least excess among the runs that meet the fill rate, and says why', () => {
    // The three runs above: fill rates 1, 1, 0.95 and excess 22, 8, 23. At a 98 % target the
    // first two qualify and days-of-cover 1 / L 2 / R 2 leaves the least excess (8).
    const result = replayCampaign(campaign(), {
      grids: [
        policyGrid(reorderPointPolicy, { axes: { serviceLevel: [0.95] }, leadTimeDays: [2], reviewDays: [1] }),
        policyGrid(daysOfCoverPolicy, { axes: { coverDays: [1] }, leadTimeDays: [2], reviewDays: [2] }),
        policyGrid(daysOfCoverPolicy, { axes: { coverDays: [0] }, leadTimeDays: [3], reviewDays: [3] }),
      ],
      targetFillRate: 0.98,
    });
    const recommendation = only(result.recommendations);
    expect(recommendation).toMatchObject({ sku: HAND_SKU, run: 'days-of-cover cover=1 L=2 R=2', threshold: 15, target: 25 });
    expect(recommendation.reason).toContain('2 of 3 runs serve at least 98.0 %');
    expect(recommendation.reason).toContain('least excess (8 units)');
  });

  it('builds the 27-run grid in a fixed order, service level outermost', () => {
    const grid = policyGrid(reorderPointPolicy, {
      axes: { serviceLevel: [0.9, 0.95, 0.99] },
      leadTimeDays: [7, 14, 21],
      reviewDays: [1, 3, 7],
    });
    expect(grid.params).toHaveLength(27);
    expect(grid.params[0]).toEqual({ serviceLevel: 0.9, leadTimeDays: 7, reviewDays: 1 });
    expect(grid.params[1]).toEqual({ serviceLevel: 0.9, leadTimeDays: 7, reviewDays: 3 });
    expect(grid.params[26]).toEqual({ serviceLevel: 0.99, leadTimeDays: 21, reviewDays: 7 });
    expect(() => policyGrid(reorderPointPolicy, { axes: { serviceLevel: [1] }, leadTimeDays: [7], reviewDays: [1] })).toThrow(
      /service level 1/,
    );
    expect(() => policyGrid(reorderPointPolicy, { leadTimeDays: [0], reviewDays: [1] })).toThrow(/lead time 0/);
  });
});

describe('determinism', () => {
  it('gives byte-identical JSON for the same campaign and grid, whatever the event order', () => {
    const options = () => ({
      grids: [
        policyGrid(reorderPointPolicy, { axes: { serviceLevel: [0.9, 0.95, 0.99] }, leadTimeDays: [1, 2, 3], reviewDays: [1, 3, 7] }),
        policyGrid(daysOfCoverPolicy, { leadTimeDays: [1, 2, 3], reviewDays: [1, 3, 7] }),
      ],
      targetFillRate: 0.95,
    });
    const first = replayJson(replayCampaign(campaignSeriesOf(handMadeCampaign()), options()));
    const second = replayJson(replayCampaign(campaignSeriesOf([...handMadeCampaign()].reverse()), options()));
    expect(second).toBe(first);
    const parsed = JSON.parse(first);
    expect(parsed.runs).toHaveLength(54);
    // Rounded to 6 decimals, so the last bits of float arithmetic never reach the file.
    expect(parsed.runs[0].skus[0].threshold.toString().split('.')[1]?.length ?? 0).toBeLessThanOrEqual(6);
  });
});
