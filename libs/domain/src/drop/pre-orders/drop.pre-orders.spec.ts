import {
  aDefinition,
  closeCmd,
  customerActor,
  DROP_ID,
  earlyAccessOpened,
  L,
  M,
  OPS_ACTOR,
  openCmd,
  place,
  placed,
  scheduleCmd,
  scheduled,
  T_AFTER,
  T_CLOSE,
  T_DURING,
  T_EARLY,
  windowOpened,
} from '../../testing/drop.fixtures';
import { eventsOf, given } from '../../testing/given-when-then';
import type { Actor, DropCommand } from '../drop.commands';
import type { DropEvent } from '../drop.events';
import { DomainError } from '../../decider';
import { decide, foldDrop } from '../drop.decider';

const cancel = (n: number, now = T_DURING, actor: Actor = customerActor(n)): DropCommand => ({
  type: 'CancelPreOrder',
  dropId: DROP_ID,
  preOrderId: `${DROP_ID}.po.${n}`,
  now,
  actor,
});
/** The DomainError a command gets on a history (fails the test when it gets events). */
function attemptError(history: DropEvent[], command: DropCommand): DomainError {
  const state = foldDrop(history);
  try {
    decide(command, state);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
const cancelled = (n: number, customerId: string, sku: string, quantity: number): DropEvent => ({
  type: 'PreOrderCancelled',
  data: { dropId: DROP_ID, preOrderId: `${DROP_ID}.po.${n}`, customerId, sku, quantity, cancelledAt: T_DURING },
});
/** `count` pre-orders of `quantity` units of M by distinct customers, sequences 1..count. */
const manyPlaced = (count: number, quantity: number): DropEvent[] =>
  Array.from({ length: count }, (_, i) => placed({ sequence: i + 1, quantity }));

describe('PlacePreOrder', () => {
  describe('accepts and prices', () => {
    it('a first-tier shipment, numbered 1', () => {
      given(scheduled(), windowOpened())
        .when(place(1))
        .then([placed({ sequence: 1 })]);
    });

    it('the whole order at the tier in force BEFORE it, with basket and pickup discounts', () => {
      // 9 units sold before → tier 0 (untilUnitsSold 10 > 9), 2 500 each, even though the order
      // takes the count to 12. 3 units ≥ basket minQuantity 3 → 10 %; pickup at the harbourside → 10 %.
      // total = 2 500 × 3 × 0.90 × 0.90 = 7 500 × 0.81 = 6 075 exactly.
      given(
        scheduled(),
        windowOpened(),
        placed({ sequence: 1, quantity: 4 }),
        placed({ sequence: 2, quantity: 4 }),
        placed({ sequence: 3, quantity: 1 }),
      )
        .when(place(4, { quantity: 3, channel: 'popup', fulfillment: { method: 'pickup', locationId: 'popup-harbourside' } }))
        .then([
          placed({
            sequence: 4,
            quantity: 3,
            channel: 'popup',
            fulfillment: { method: 'pickup', locationId: 'popup-harbourside' },
            unitPrice: 2500,
            basketPercentOff: 10,
            pickupPercentOff: 10,
            total: 6075,
            tier: 0,
          }),
        ]);
    });

    it('at the second tier once 10 units were accepted', () => {
      // units sold before = 10; first tier with untilUnitsSold > 10 is tier 1 (40) → 3 000.
      given(scheduled(), windowOpened(), ...manyPlaced(5, 2))
        .when(place(6))
        .then([placed({ sequence: 6, unitPrice: 3000, total: 3000, tier: 1 })]);
    });

    it('at the last, unlimited tier once 40 units were accepted', () => {
      given(scheduled(), windowOpened(), ...manyPlaced(10, 4))
        .when(place(11))
        .then([placed({ sequence: 11, unitPrice: 3500, total: 3500, tier: 2 })]);
    });

    it('without moving the ladder back when a pre-order is cancelled (units accepted ever)', () => {
      // 10 accepted, 2 cancelled: net 8 but the ladder counts 10 → tier 1.
      given(scheduled(), windowOpened(), ...manyPlaced(5, 2), cancelled(1, 'customer-1', M, 2))
        .when(place(6))
        .then([placed({ sequence: 6, unitPrice: 3000, total: 3000, tier: 1 })]);
    });

    it('keeps the referral code', () => {
      given(scheduled(), windowOpened())
        .when(place(1, { referralCode: 'FRIEND10' }))
        .then([placed({ sequence: 1, referralCode: 'FRIEND10' })]);
    });

    it('from a repeat customer during early access', () => {
      given(scheduled(), earlyAccessOpened())
        .when(place(1, { isRepeatCustomer: true, now: T_EARLY }))
        .then([placed({ sequence: 1, placedAt: T_EARLY })]);
    });

    it('and announces VariantSoldOut when the order takes the SKU to 0 left', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, sku: L, quantity: 4 }))
        .when(place(2, { sku: L }))
        .then([placed({ sequence: 2, sku: L }), { type: 'VariantSoldOut', data: { dropId: DROP_ID, sku: L, soldOutAt: T_DURING } }]);
    });

    it('and announces DropSoldOut when every SKU is at 0 left', () => {
      const tiny = aDefinition({
        variants: [
          { sku: M, size: 'M', colour: 'navy', editionCap: 4 },
          { sku: L, size: 'L', colour: 'navy', editionCap: 1 },
        ],
        minimumOrderQuantity: 1,
      });
      given(scheduled(tiny), windowOpened(), placed({ sequence: 1, quantity: 4 }))
        .when(place(2, { sku: L }))
        .then([
          placed({ sequence: 2, sku: L }),
          { type: 'VariantSoldOut', data: { dropId: DROP_ID, sku: L, soldOutAt: T_DURING } },
          { type: 'DropSoldOut', data: { dropId: DROP_ID, soldOutAt: T_DURING } },
        ]);
    });

    it('after selling out, when a cancellation freed units (the window stayed open)', () => {
      given(
        scheduled(),
        windowOpened(),
        placed({ sequence: 1, sku: L, quantity: 4 }),
        placed({ sequence: 2, sku: L, quantity: 1 }),
        { type: 'VariantSoldOut', data: { dropId: DROP_ID, sku: L, soldOutAt: T_DURING } },
        cancelled(2, 'customer-2', L, 1),
      )
        .when(place(3, { sku: L }))
        .then([placed({ sequence: 3, sku: L }), { type: 'VariantSoldOut', data: { dropId: DROP_ID, sku: L, soldOutAt: T_DURING } }]);
    });
  });

  describe('rule 1: idempotency', () => {
    it('returns [] for a retry with the same fingerprint, even after the SKU sold out and the window closed', () => {
      const history = eventsOf(
        scheduleCmd(aDefinition({ minimumOrderQuantity: 5 })),
        openCmd(),
        place(1, { sku: L, quantity: 4 }),
        place(2, { sku: L, quantity: 1 }),
        closeCmd(),
      );
      given(...history)
        .when(place(2, { sku: L, quantity: 1, now: T_AFTER }))
        .then([]);
    });

    it('returns [] for a retry of a pre-order that was cancelled since', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1 }), cancelled(1, 'customer-1', M, 1))
        .when(place(1))
        .then([]);
    });

    it('rejects the same id with a different fingerprint', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1 }))
        .when(place(1, { quantity: 2, idempotencyFingerprint: 'another-body' }))
        .thenRejects('IDEMPOTENCY.KEY_REUSED', { preOrderId: `${DROP_ID}.po.1` });
    });
  });

  describe('rule 2: what was asked for must exist', () => {
    it('rejects an unknown SKU (before checking the channel)', () => {
      given(scheduled(), windowOpened())
        .when(place(1, { sku: 'HH-XXL-PINK', channel: 'kiosk' }))
        .thenRejects('DROP.UNKNOWN_SKU', { sku: 'HH-XXL-PINK' });
    });

    it('rejects a channel the drop is not sold on', () => {
      given(scheduled(), windowOpened())
        .when(place(1, { channel: 'kiosk' }))
        .thenRejects('DROP.CHANNEL_NOT_ALLOWED', { channel: 'kiosk' });
    });

    it('rejects an unknown pickup location', () => {
      given(scheduled(), windowOpened())
        .when(place(1, { fulfillment: { method: 'pickup', locationId: 'nowhere' } }))
        .thenRejects('DROP.UNKNOWN_PICKUP_LOCATION', { locationId: 'nowhere' });
    });

    it.each([0, -1, 1.5])('rejects quantity %p', (quantity) => {
      given(scheduled(), windowOpened()).when(place(1, { quantity })).thenRejects('PREORDER.INVALID_QUANTITY');
    });
  });

  describe('rule 3: sold out', () => {
    it('rejects a sold-out SKU while the window is open (before the customer limit)', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, sku: L, quantity: 4 }), placed({ sequence: 2, sku: L, quantity: 1 }))
        .when(place(3, { sku: L, customerId: 'customer-1' }))
        .thenRejects('DROP.SOLD_OUT', { sku: L });
    });

    it('says sold out rather than window closed once the window has closed', () => {
      const history = eventsOf(
        scheduleCmd(aDefinition({ minimumOrderQuantity: 5 })),
        openCmd(),
        place(1, { sku: L, quantity: 4 }),
        place(2, { sku: L, quantity: 1 }),
        closeCmd(),
      );
      given(...history)
        .when(place(3, { sku: L, now: T_AFTER }))
        .thenRejects('DROP.SOLD_OUT');
    });
  });

  describe('rule 4: window', () => {
    it('rejects a first-time customer during early access', () => {
      given(scheduled(), earlyAccessOpened())
        .when(place(1, { now: T_EARLY }))
        .thenRejects('DROP.EARLY_ACCESS_ONLY');
    });

    it('rejects before the drop opens', () => {
      given(scheduled(), announced()).when(place(1)).thenRejects('DROP.WINDOW_NOT_OPEN');
    });

    it('answers a customer or a till about a drop not yet public exactly as about a missing one; ops get the reason', () => {
      const missing = attemptError([], place(1));
      expect(missing.code).toBe('DROP.NOT_FOUND');
      for (const command of [
        place(1),
        place(1, { sku: 'NO-SUCH-SKU' }),
        place(1, { channel: 'kiosk' }),
        place(1, { fulfillment: { method: 'pickup', locationId: 'guess' } }),
        place(1, { actor: { subject: 'till-1', roles: ['till'] }, channel: 'popup' }),
      ]) {
        const refused = attemptError([scheduled()], command);
        expect({ code: refused.code, message: refused.message, details: refused.details }).toEqual({
          code: missing.code,
          message: missing.message,
          details: missing.details,
        });
      }
      given(scheduled())
        .when(place(1, { actor: OPS_ACTOR }))
        .thenRejects('DROP.WINDOW_NOT_OPEN');
      // Cancelled before it was ever public: still not public.
      given(scheduled(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
        .when(place(1))
        .thenRejects('DROP.NOT_FOUND');
    });

    it('rejects after the window closed', () => {
      const history = eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd());
      given(...history)
        .when(place(2, { now: T_AFTER }))
        .thenRejects('DROP.WINDOW_CLOSED');
    });

    it('rejects at closesAt even if the close command has not run yet', () => {
      given(scheduled(), windowOpened())
        .when(place(1, { now: T_CLOSE }))
        .thenRejects('DROP.WINDOW_CLOSED');
    });

    it('rejects on a cancelled drop', () => {
      given(scheduled(), windowOpened(), {
        type: 'DropCancelled',
        data: { dropId: DROP_ID, reason: 'factory fire', cancelledAt: T_DURING },
      })
        .when(place(1))
        .thenRejects('DROP.CANCELLED');
    });
  });

  describe('rule 5: stock', () => {
    it('rejects more units than are left, saying how many are', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, sku: L, quantity: 4 }))
        .when(place(2, { sku: L, quantity: 2 }))
        .thenRejects('DROP.INSUFFICIENT_STOCK', { available: 1 });
    });

    it('is checked before the customer limit', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, sku: L, quantity: 4, customerId: 'customer-9' }))
        .when(place(2, { sku: L, quantity: 5 }))
        .thenRejects('DROP.INSUFFICIENT_STOCK', { available: 1 });
    });
  });

  describe('rule 6: per-customer limit', () => {
    it('rejects going over the limit on net units, saying what was already ordered', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, quantity: 3, customerId: 'ann' }))
        .when(place(2, { customerId: 'ann', quantity: 2 }))
        .thenRejects('PREORDER.LIMIT_EXCEEDED', { limit: 4, alreadyOrdered: 3 });
    });

    it('gives the allowance back when a pre-order is cancelled', () => {
      given(scheduled(), windowOpened(), placed({ sequence: 1, quantity: 4, customerId: 'ann' }), cancelled(1, 'ann', M, 4))
        .when(place(2, { customerId: 'ann', quantity: 4 }))
        .then([placed({ sequence: 2, customerId: 'ann', quantity: 4, basketPercentOff: 10, total: 9000 })]);
      // 2 500 × 4 × 0.90 = 9 000 (basket 10 % from 3 units; ladder at 4 accepted → tier 0).
    });
  });
});

const announced = (): DropEvent => ({ type: 'DropAnnounced', data: { dropId: DROP_ID, announcedAt: T_DURING } });

describe('CancelPreOrder', () => {
  it('answers a pre-order of a missing drop as a missing pre-order (a guessed id tells nothing about the drop)', () => {
    given()
      .when(cancel(1))
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: `${DROP_ID}.po.1` });
    given(scheduled(), windowOpened())
      .when(cancel(1))
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: `${DROP_ID}.po.1` });
  });

  it('cancels while open and returns the units to the SKU', () => {
    given(scheduled(), windowOpened(), placed({ sequence: 1, quantity: 2 }))
      .when(cancel(1))
      .then([cancelled(1, 'customer-1', M, 2)]);
  });

  it('cancels during early access', () => {
    given(scheduled(), earlyAccessOpened(), placed({ sequence: 1, placedAt: T_EARLY }))
      .when(cancel(1))
      .then([cancelled(1, 'customer-1', M, 1)]);
  });

  it('frees units of a sold-out SKU for the next buyer', () => {
    const history = [
      ...eventsOf(scheduleCmd(), openCmd(), place(1, { sku: L, quantity: 4 }), place(2, { sku: L, quantity: 1 }), cancel(2)),
    ];
    given(...history)
      .when(place(3, { sku: L }))
      .then([placed({ sequence: 3, sku: L }), { type: 'VariantSoldOut', data: { dropId: DROP_ID, sku: L, soldOutAt: T_DURING } }]);
  });

  it('returns [] when already cancelled', () => {
    given(scheduled(), windowOpened(), placed({ sequence: 1 }), cancelled(1, 'customer-1', M, 1))
      .when(cancel(1))
      .then([]);
  });

  it('rejects an unknown pre-order', () => {
    given(scheduled(), windowOpened()).when(cancel(1)).thenRejects('PREORDER.NOT_FOUND');
  });

  it("refuses another customer's pre-order exactly like a missing one", () => {
    const history = [scheduled(), windowOpened(), placed({ sequence: 1 })];
    given(...history)
      .when(cancel(1, T_DURING, customerActor(2)))
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: `${DROP_ID}.po.1` });
    const missing = attemptError([scheduled(), windowOpened()], cancel(1, T_DURING, customerActor(2)));
    const foreign = attemptError(history, cancel(1, T_DURING, customerActor(2)));
    expect({ code: foreign.code, message: foreign.message, details: foreign.details }).toEqual({
      code: missing.code,
      message: missing.message,
      details: missing.details,
    });
  });

  it("refuses a customer's cancel of another's already cancelled pre-order (no idempotent [] that would reveal it)", () => {
    given(scheduled(), windowOpened(), placed({ sequence: 1 }), cancelled(1, 'customer-1', M, 1))
      .when(cancel(1, T_DURING, customerActor(2)))
      .thenRejects('PREORDER.NOT_FOUND');
  });

  it('refuses a command without an actor, and lets ops cancel any pre-order', () => {
    const history = [scheduled(), windowOpened(), placed({ sequence: 1 })];
    const { actor: _a, ...anonymous } = cancel(1) as Extract<DropCommand, { type: 'CancelPreOrder' }>;
    given(...history)
      .when(anonymous as DropCommand)
      .thenRejects('PREORDER.NOT_FOUND');
    given(...history)
      .when(cancel(1, T_DURING, OPS_ACTOR))
      .then([cancelled(1, 'customer-1', M, 1)]);
    given(...history)
      .when(cancel(1, T_DURING, { subject: 'customer-1-analyst', roles: ['analyst', 'customer'] }))
      .thenRejects('PREORDER.NOT_FOUND');
  });

  it('rejects once the window has closed', () => {
    const history = eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd());
    given(...history)
      .when(cancel(1, T_AFTER))
      .thenRejects('PREORDER.CANNOT_CANCEL');
  });

  it('rejects from closesAt on, before the scheduler has recorded the close, so a late cancel cannot move the tipping point', () => {
    // The drop met its minimum of 1 with #1; the close is recorded a day late (scheduler lag, a restart).
    const history = eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1));
    given(...history)
      .when(cancel(1, '2026-12-08T09:59:59.999Z'))
      .then([
        {
          type: 'PreOrderCancelled',
          data: {
            dropId: DROP_ID,
            preOrderId: `${DROP_ID}.po.1`,
            customerId: 'customer-1',
            sku: M,
            quantity: 1,
            cancelledAt: '2026-12-08T09:59:59.999Z',
          },
        },
      ]);
    given(...history)
      .when(cancel(1, T_CLOSE))
      .thenRejects('PREORDER.CANNOT_CANCEL', { dropStatus: 'open', closesAt: T_CLOSE });
    given(...history)
      .when(place(2, { now: T_CLOSE }))
      .thenRejects('DROP.WINDOW_CLOSED');
    given(...history)
      .when(cancel(1, T_AFTER, OPS_ACTOR))
      .thenRejects('PREORDER.CANNOT_CANCEL');
    expect(
      foldDrop(eventsOf(...[scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd(T_AFTER)])).status,
    ).toBe('tipped');
  });

  it('rejects on a cancelled drop', () => {
    given(scheduled(), windowOpened(), placed({ sequence: 1 }), {
      type: 'DropCancelled',
      data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING },
    })
      .when(cancel(1))
      .thenRejects('DROP.CANCELLED');
  });
});
