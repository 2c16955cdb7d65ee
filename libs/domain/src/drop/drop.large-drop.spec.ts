// A drop of 100 000 pre-orders through production: no event, and no decision, passes the 1 MiB an
// EventStoreDB append may carry (MaxAppendSize) or Kafka's 1 MB message limit.
import { aDefinition, T_CLOSE, T_DURING, T_OPEN, T_SCHEDULED } from '../testing/drop.fixtures';
import { allocateRun, waitingForGoods } from './drop.allocation';
import type { DropCommand } from './drop.commands';
import { decide, evolve, initialState } from './drop.decider';
import type { DropEvent, ProductionRunCompleted } from './drop.events';
import { preOrderIdFor } from './drop.ids';
import { DEFAULT_REFUND_BATCH_SIZE } from './drop.schedule';
import type { DropState } from './drop.state';

const MIB = 1024 * 1024;
/** Every id at the longest the API accepts: drop ids 64, customer ids 128 characters. */
const DROP_ID = `large-drop-${'x'.repeat(53)}`;
const customerOf = (n: number) => `customer-${String(n).padStart(8, '0')}-${'c'.repeat(110)}`;
const SKUS = ['LD-S-BLACK', 'LD-M-BLACK', 'LD-L-BLACK'];
const T_START = '2026-12-10T08:00:00Z';
const T_DONE = '2026-12-24T16:00:00Z';

/**
 * The stored metadata of an event: the writer's envelope (libs/event-sourcing envelope.ts) plus
 * the keys the EventStoreDB adapter adds (eventstoredb.mapping.ts toEsdbEvent). A request's
 * envelope with every id at its longest (correlation ids and token subjects 128 characters)…
 */
const REQUEST_METADATA = {
  correlationId: 'k'.repeat(128),
  causationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  actor: 's'.repeat(128),
  occurredAt: '2026-12-24T16:00:00.000Z',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  schemaVersion: 2,
  $correlationId: 'k'.repeat(128),
  $causationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
};
/** …and the scheduler's (platform systemContext), the only issuer of RequestRefunds. */
const SCHEDULER_METADATA = {
  correlationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  causationId: null,
  actor: 'system:scheduler',
  occurredAt: '2026-12-24T16:00:00.000Z',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  schemaVersion: 1,
  $correlationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
};

/** Bytes of one stored event as EventStoreDB counts them against MaxAppendSize: data + metadata + 2 × type. */
function storedSize(event: DropEvent, metadata: object = REQUEST_METADATA): number {
  return Buffer.byteLength(JSON.stringify(event.data)) + Buffer.byteLength(JSON.stringify(metadata)) + 2 * Buffer.byteLength(event.type);
}

/** Decides each command on the state the previous ones left; returns the state and every decision's events. */
function run(state: DropState, commands: Iterable<DropCommand>): { state: DropState; decisions: DropEvent[][] } {
  const decisions: DropEvent[][] = [];
  for (const command of commands) {
    const events = decide(command, state);
    for (const event of events) state = evolve(state, event);
    decisions.push(events);
  }
  return { state, decisions };
}

function* placements(count: number): Iterable<DropCommand> {
  for (let n = 1; n <= count; n++) {
    const customerId = customerOf(n);
    yield {
      type: 'PlacePreOrder',
      dropId: DROP_ID,
      preOrderId: preOrderIdFor(DROP_ID, customerId, `idempotency-key-${n}`),
      customerId,
      sku: SKUS[n % SKUS.length],
      quantity: 1 + (Math.floor(n / 3) % 3),
      channel: 'web',
      fulfillment: n % 4 === 0 ? { method: 'pickup', locationId: 'popup-harbourside' } : { method: 'ship' },
      referralCode: `referral-${'r'.repeat(55)}`,
      isRepeatCustomer: false,
      idempotencyFingerprint: 'f'.repeat(64),
      now: T_DURING,
    };
  }
}

function openDrop(cap: number, minimumOrderQuantity: number): DropState {
  const definition = aDefinition({
    variants: SKUS.map((sku) => ({ sku, size: sku.split('-')[1], colour: 'black', editionCap: cap })),
    minimumOrderQuantity,
    perCustomerLimit: 4,
  });
  return run(initialState(), [
    { type: 'ScheduleDrop', dropId: DROP_ID, definition, now: T_SCHEDULED },
    { type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN },
  ]).state;
}

const existing = (state: DropState) => {
  if (state.status === 'initial') throw new Error('unreachable');
  return state;
};

describe('a drop of 100 000 pre-orders', () => {
  const PRE_ORDERS = 100_000;

  it('completes two production runs with every event and every decision under 1 MiB', () => {
    let state = run(openDrop(PRE_ORDERS, 1), placements(PRE_ORDERS)).state;
    expect(existing(state).activePreOrders).toBe(PRE_ORDERS);
    const net = Object.fromEntries([...existing(state).skus.values()].map((t) => [t.sku, t.net]));
    // Run 1 makes 60% of each SKU: a shortfall, so both the covered and the waiting pre-orders are many.
    const shortfall = Object.fromEntries(SKUS.map((sku) => [sku, Math.floor(net[sku] * 0.6)]));
    const runId = (n: number) => `${DROP_ID}.run.${n}`;
    // Schema v1 listed every covered and waiting id in the event: for this run about 9 MB, past 1 MiB
    // from about 11 500 pre-orders with ids this long (16 000 with typical ones).
    const v1 = allocateRun(shortfall, waitingForGoods(existing(state)));
    const ids = (list: typeof v1.covered) => list.map((p) => p.preOrderId);
    const v1Lists = { coveredPreOrderIds: ids(v1.covered), uncoveredPreOrderIds: ids(v1.uncovered) };
    expect(Buffer.byteLength(JSON.stringify(v1Lists))).toBeGreaterThan(8 * MIB);
    const first = run(state, [
      { type: 'ClosePreOrderWindow', dropId: DROP_ID, now: T_CLOSE },
      { type: 'StartProductionRun', dropId: DROP_ID, runId: runId(1), now: T_START },
      { type: 'CompleteProductionRun', dropId: DROP_ID, runId: runId(1), producedBySku: shortfall, rejectedBySku: {}, now: T_DONE },
    ]);
    state = first.state;
    const waitingAfterFirst = [...waitingForGoods(existing(state))];
    // Run 2 makes exactly what still waits (run 1's surplus is not carried over: it went to nobody).
    const rest: Record<string, number> = {};
    for (const p of waitingAfterFirst) rest[p.sku] = (rest[p.sku] ?? 0) + p.quantity;
    const second = run(state, [
      { type: 'RequestProductionRun', dropId: DROP_ID, runId: runId(2), unitsBySku: rest, now: T_DONE },
      { type: 'StartProductionRun', dropId: DROP_ID, runId: runId(2), now: T_DONE },
      { type: 'CompleteProductionRun', dropId: DROP_ID, runId: runId(2), producedBySku: rest, rejectedBySku: {}, now: T_DONE },
    ]);
    state = second.state;

    const decisions = [...first.decisions, ...second.decisions];
    const completions = decisions.flat().filter((e): e is ProductionRunCompleted => e.type === 'ProductionRunCompleted');
    expect(completions).toHaveLength(2);
    expect(completions[0].data.coveredPreOrderCount + completions[0].data.uncoveredPreOrderCount).toBe(PRE_ORDERS);
    expect(completions[0].data.uncoveredPreOrderCount).toBe(waitingAfterFirst.length);
    expect(completions[0].data.uncoveredPreOrderCount).toBeGreaterThan(30_000);
    expect(completions[1].data).toMatchObject({ coveredPreOrderCount: waitingAfterFirst.length, uncoveredPreOrderCount: 0 });
    // Every pre-order is covered, by one of the two runs, and the drop's view counts them.
    expect(existing(state).acceptance.every((p) => p.coveredByRunId !== undefined)).toBe(true);
    expect([...existing(state).runs.values()].map((r) => r.coveredPreOrders)).toEqual([
      PRE_ORDERS - waitingAfterFirst.length,
      waitingAfterFirst.length,
    ]);

    const sizes = decisions.map((events) => events.map((e) => storedSize(e)));
    for (const eventSizes of sizes) {
      for (const size of eventSizes) expect(size).toBeLessThan(MIB);
      expect(eventSizes.reduce((a, b) => a + b, 0)).toBeLessThan(MIB);
    }
    // The completion does not grow with the drop: about 900 bytes whether it covers 5 or 100 000 pre-orders.
    for (const completion of completions) expect(storedSize(completion)).toBeLessThan(2_000);
  });

  it('asks for the refunds of a cancelled drop in decisions under 1 MiB (RefundRequested is one event per pre-order)', () => {
    // 1 500 pre-orders, MOQ not met: the window closes into DropCancelled; RequestRefunds takes a batch of DEFAULT_REFUND_BATCH_SIZE.
    const opened = openDrop(10_000, 5_000);
    const { state, decisions } = run(opened, [
      ...placements(1_500),
      { type: 'ClosePreOrderWindow', dropId: DROP_ID, now: T_CLOSE },
      { type: 'RequestRefunds', dropId: DROP_ID, maxCount: DEFAULT_REFUND_BATCH_SIZE, now: T_DONE },
      { type: 'RequestRefunds', dropId: DROP_ID, maxCount: DEFAULT_REFUND_BATCH_SIZE, now: T_DONE },
    ]);
    expect(state.status).toBe('cancelled');
    const [full, remainder] = decisions.slice(-2);
    expect([full.length, remainder.length]).toEqual([DEFAULT_REFUND_BATCH_SIZE, 500]);
    const bytes = (events: DropEvent[]) => events.map((e) => storedSize(e, SCHEDULER_METADATA)).reduce((a, b) => a + b, 0);
    // 737 bytes per RefundRequested with every id at its longest: 1 000 of them 737 000 bytes.
    expect(bytes(full)).toBeLessThan(MIB);
    for (const event of [...full, ...remainder]) expect(storedSize(event, SCHEDULER_METADATA)).toBeLessThan(800);
  });
});
