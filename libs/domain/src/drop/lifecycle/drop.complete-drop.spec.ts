// CompleteDrop: the drop completes once nothing is outstanding. (moved from drop.after-close.spec.ts)
import { DROP_ID, OPS_ACTOR, scheduled, T_DURING } from '../../testing/drop.fixtures';
import type { DropCommand } from '../drop.commands';
import { given } from '../../testing/given-when-then';
import { po, T_DONE, T_LAST_RETURN_DAY, T_RETURNS_OVER, cmd, tipped, handedOver, eventsOfAfter } from '../../testing/after-close.fixtures';

describe('CompleteDrop', () => {
  // Everything handed over or refunded: #1 delivered, #2 picked up, #4 delivered, #3 and #5 refunded.
  const settled = () => {
    const base = handedOver();
    return [
      ...base,
      ...eventsOfAfter(
        base,
        cmd.dispatch(4),
        cmd.deliver(4),
        cmd.refund(3),
        cmd.refund(5),
        cmd.pay('RecordPaymentCaptured', 3, 6750, 'pi_3'),
        cmd.pay('RecordPaymentRefunded', 3, 6750, 're_3', T_DONE),
      ),
    ];
  };

  it('completes once everything is handed over or refunded and the last return window has passed', () => {
    given(...settled())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .then([{ type: 'DropCompleted', data: { dropId: DROP_ID, completedAt: T_RETURNS_OVER } }]);
  });

  it('is refused while the last return window is still running', () => {
    given(...settled())
      .when(cmd.completeDrop(T_LAST_RETURN_DAY))
      .thenRejects('DROP.NOT_COMPLETABLE');
  });

  it('is refused while a pre-order is neither handed over nor refunded', () => {
    given(...handedOver())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE');
  });

  it('is refused while a refund is requested but the captured money has not come back', () => {
    const history = [...settled(), ...eventsOfAfter(settled(), cmd.pay('RecordPaymentCaptured', 5, 2500, 'pi_5'))];
    given(...history)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE', { reason: `pre-order ${po(5)} is neither handed over nor refunded` });
  });

  it('is refused while a return is open', () => {
    const history = [...settled(), ...eventsOfAfter(settled(), cmd.requestReturn(1, '2027-01-02T10:00:00Z'))];
    given(...history)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE', { reason: '1 return(s) still open' });
  });

  it('is refused before fulfilling and on a cancelled drop; [] when already completed', () => {
    given(...tipped())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE');
    given(scheduled(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.CANCELLED');
    const completed = [...settled(), ...eventsOfAfter(settled(), cmd.completeDrop(T_RETURNS_OVER))];
    given(...completed)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .then([]);
  });

  it('closes the books to returns: a late delivery is recorded (a fact), a return after it is refused', () => {
    // #4 is dispatched, then refunded (a lost parcel): completion does not wait for its delivery.
    const base = handedOver();
    const history = [
      ...base,
      ...eventsOfAfter(base, cmd.dispatch(4), cmd.refund(4), cmd.refund(3), cmd.refund(5), cmd.completeDrop(T_RETURNS_OVER)),
    ];
    const late = '2027-01-20T10:00:00Z';
    // The parcel arrives after all: the fulfillment task can still be closed.
    const delivered = [...history, ...eventsOfAfter(history, { ...cmd.deliver(4), now: late } as DropCommand)];
    expect(delivered.at(-1)?.type).toBe('ShipmentDelivered');
    given(...delivered)
      .when({ ...cmd.requestReturn(4, late), actor: OPS_ACTOR } as DropCommand)
      .thenRejects('DROP.COMPLETED', { dropStatus: 'completed' });
    given(...history)
      .when({ ...cmd.requestReturn(1, late), actor: OPS_ACTOR } as DropCommand)
      .thenRejects('DROP.COMPLETED');
    given(...history)
      .when(cmd.deliver(1))
      .then([]);
  });
});
