import type { EventStore } from '@dropline/event-store';
import { ProblemException } from '@dropline/platform';
import { EventCausationController } from './event-causation.controller';

/** A store without readEvent/readCausedBy (EventStoreDB's adapter leaves them out): the routes refuse instead of scanning. */
describe('EventCausationController on a store without causation lookups', () => {
  // Nothing of the store is reached before the refusal: the lookups are checked first.
  const controller = new EventCausationController({} as EventStore);
  const id = '00000000-0000-4000-8000-000000000000';

  it.each([
    ['GET /events/:eventId', () => controller.event({ eventId: id })],
    ['GET /events/:eventId/effects', () => controller.effects({ eventId: id }, {})],
  ])('%s answers 501 EVENT.LOOKUP_UNSUPPORTED', async (_route, call) => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(501);
    expect((error as ProblemException).getResponse()).toMatchObject({ code: 'EVENT.LOOKUP_UNSUPPORTED' });
  });
});
