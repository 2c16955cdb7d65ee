import { DomainError, DropState, toDropView } from '@dropline/domain';

/** JSON view of one pre-order (payment fact ids are internal). */
export function preOrderView(state: DropState, preOrderId: string) {
  const record = state.status === 'initial' ? undefined : state.preOrders.get(preOrderId);
  if (!record || state.status === 'initial')
    throw new DomainError('PREORDER.NOT_FOUND', `Pre-order ${preOrderId} does not exist`, { preOrderId });
  const { payment, idempotencyFingerprint: _f, handedOverAtMs, ...rest } = record;
  return {
    dropId: state.dropId,
    ...rest,
    currency: state.definition.currency,
    ...(payment
      ? { payment: { authorized: payment.authorized, captured: payment.captured, failed: payment.failed, refunded: payment.refunded } }
      : {}),
    ...(handedOverAtMs !== undefined ? { handedOverAt: new Date(handedOverAtMs).toISOString() } : {}),
  };
}

/** JSON view of one production run. */
export function productionRunView(state: DropState, runId: string) {
  const run = state.status === 'initial' ? undefined : state.runs.get(runId);
  if (!run || state.status === 'initial')
    throw new DomainError('PRODUCTION.RUN_NOT_FOUND', `Production run ${runId} does not exist`, { runId });
  return { dropId: state.dropId, ...run };
}

/** JSON view of one return. */
export function returnView(state: DropState, returnId: string) {
  const ret = state.status === 'initial' ? undefined : state.returns.get(returnId);
  if (!ret || state.status === 'initial') throw new DomainError('RETURN.NOT_FOUND', `Return ${returnId} does not exist`, { returnId });
  return { dropId: state.dropId, ...ret };
}

export type DropView = ReturnType<typeof toDropView>;
export type PreOrderView = ReturnType<typeof preOrderView>;
export type ProductionRunView = ReturnType<typeof productionRunView>;
export type ReturnView = ReturnType<typeof returnView>;
