import type { Column } from '../../upsert';
import { col, DropFact, num } from './drop-fact';

/** rm_returns_by_reason: one row per (drop, return reason). */
export interface ReturnsByReasonRow {
  dropId: string;
  reason: string;
  returnsRequested: number;
  unitsRequested: number;
  unitsReceivedRestockable: number;
  unitsReceivedNotRestockable: number;
  returnsRefunded: number;
  amountRefunded: number;
}

export const RETURNS_BY_REASON_EVENT_TYPES = ['ReturnRequested', 'ReturnReceived', 'ReturnRefunded'] as const;

/** The reason whose row an event changes (the one requested, or the one its pre-order's return was requested for). */
export function returnReasonOf(fact: DropFact): string | undefined {
  const { event } = fact;
  if (event.type === 'ReturnRequested') return event.data.reason;
  if (event.type === 'ReturnReceived' || event.type === 'ReturnRefunded')
    return fact.preOrder ? (fact.preOrder.returnReason ?? 'other') : undefined;
  return undefined;
}

/** rm_returns_by_reason for the (drop, `returnReasonOf`) row. */
export function evolveReturnsByReason(row: ReturnsByReasonRow | null, fact: DropFact, reason: string): ReturnsByReasonRow | null {
  const { event } = fact;
  const po = fact.preOrder;
  const r = (): ReturnsByReasonRow =>
    row
      ? { ...row }
      : {
          dropId: fact.dropId,
          reason,
          returnsRequested: 0,
          unitsRequested: 0,
          unitsReceivedRestockable: 0,
          unitsReceivedNotRestockable: 0,
          returnsRefunded: 0,
          amountRefunded: 0,
        };
  switch (event.type) {
    case 'ReturnRequested': {
      if (!po || po.returnId) return row;
      const next = r();
      next.returnsRequested += 1;
      next.unitsRequested += po.quantity;
      return next;
    }
    case 'ReturnReceived': {
      if (!po || po.returnStatus !== 'requested') return row;
      const next = r();
      if (event.data.condition === 'restockable') next.unitsReceivedRestockable += po.quantity;
      else next.unitsReceivedNotRestockable += po.quantity;
      return next;
    }
    case 'ReturnRefunded': {
      if (!po || po.returnStatus === 'refunded' || !po.returnId) return row;
      const next = r();
      next.returnsRefunded += 1;
      next.amountRefunded += event.data.amount;
      return next;
    }
    default:
      return row;
  }
}

export const REASON_COLUMNS: Column<ReturnsByReasonRow>[] = [
  col('drop_id', 'text', (r) => r.dropId),
  col('reason', 'text', (r) => r.reason),
  col('returns_requested', 'int4', (r) => r.returnsRequested),
  col('units_requested', 'int4', (r) => r.unitsRequested),
  col('units_received_restockable', 'int4', (r) => r.unitsReceivedRestockable),
  col('units_received_not_restockable', 'int4', (r) => r.unitsReceivedNotRestockable),
  col('returns_refunded', 'int4', (r) => r.returnsRefunded),
  col('amount_refunded', 'int8', (r) => r.amountRefunded),
];

export function reasonFromDb(r: Record<string, any>): ReturnsByReasonRow {
  return {
    dropId: r.drop_id,
    reason: r.reason,
    returnsRequested: r.returns_requested,
    unitsRequested: r.units_requested,
    unitsReceivedRestockable: r.units_received_restockable,
    unitsReceivedNotRestockable: r.units_received_not_restockable,
    returnsRefunded: r.returns_refunded,
    amountRefunded: num(r.amount_refunded),
  };
}
