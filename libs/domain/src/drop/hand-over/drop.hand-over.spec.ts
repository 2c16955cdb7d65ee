// Hand-over: shipments and pickups. (moved from drop.after-close.spec.ts)
import { DROP_ID } from '../../testing/drop.fixtures';
import { given } from '../../testing/given-when-then';
import {
  po,
  T_SHIP,
  T_DELIVERED,
  T_PICKED_UP,
  cmd,
  tipped,
  fulfilling,
  handedOver,
  eventsOfAfter,
} from '../../testing/after-close.fixtures';

describe('fulfillment', () => {
  it('DispatchShipment → ShipmentDispatched; ConfirmDelivery → ShipmentDelivered', () => {
    given(...fulfilling())
      .when(cmd.dispatch(1))
      .then([
        {
          type: 'ShipmentDispatched',
          data: { dropId: DROP_ID, preOrderId: po(1), carrier: 'Royal Mail', trackingNumber: 'TRK-1', dispatchedAt: T_SHIP },
        },
      ]);
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.dispatch(1)))
      .when(cmd.deliver(1))
      .then([{ type: 'ShipmentDelivered', data: { dropId: DROP_ID, preOrderId: po(1), deliveredAt: T_DELIVERED } }]);
  });

  it('MarkReadyForPickup → ReadyForPickup; ConfirmPickup → PreOrderPickedUp', () => {
    given(...fulfilling())
      .when(cmd.ready(2))
      .then([{ type: 'ReadyForPickup', data: { dropId: DROP_ID, preOrderId: po(2), locationId: 'popup-harbourside', readyAt: T_SHIP } }]);
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.ready(2)))
      .when(cmd.pickUp(2))
      .then([
        {
          type: 'PreOrderPickedUp',
          data: { dropId: DROP_ID, preOrderId: po(2), locationId: 'popup-harbourside', pickedUpAt: T_PICKED_UP },
        },
      ]);
  });

  it('returns [] for repeated hand-over steps', () => {
    const all = handedOver();
    given(...all)
      .when(cmd.dispatch(1))
      .then([]);
    given(...all)
      .when(cmd.deliver(1))
      .then([]);
    given(...all)
      .when(cmd.ready(2))
      .then([]);
    given(...all)
      .when(cmd.pickUp(2))
      .then([]);
  });

  it('rejects the wrong method', () => {
    given(...fulfilling())
      .when(cmd.dispatch(2))
      .thenRejects('FULFILLMENT.WRONG_METHOD', { method: 'pickup' });
    given(...fulfilling())
      .when(cmd.ready(1))
      .thenRejects('FULFILLMENT.WRONG_METHOD', { method: 'ship' });
  });

  it('rejects a pre-order not covered by production', () => {
    given(...fulfilling())
      .when(cmd.dispatch(3))
      .thenRejects('FULFILLMENT.NOT_COVERED');
    given(...tipped())
      .when(cmd.dispatch(1))
      .thenRejects('FULFILLMENT.NOT_COVERED');
  });

  it('rejects steps out of order', () => {
    given(...fulfilling())
      .when(cmd.deliver(1))
      .thenRejects('FULFILLMENT.INVALID_STATE', { expected: 'dispatched' });
    given(...fulfilling())
      .when(cmd.pickUp(2))
      .thenRejects('FULFILLMENT.INVALID_STATE', { expected: 'ready-for-pickup' });
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.dispatch(1)))
      .when(cmd.dispatch(1, 'OTHER'))
      .thenRejects('FULFILLMENT.INVALID_STATE');
  });

  it('refuses to hand over a pre-order with a refund requested', () => {
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.refund(1)))
      .when(cmd.dispatch(1))
      .thenRejects('FULFILLMENT.INVALID_STATE', { refundRequested: true });
  });

  it('rejects an unknown pre-order', () => {
    given(...fulfilling())
      .when(cmd.dispatch(9))
      .thenRejects('PREORDER.NOT_FOUND');
  });
});
