import { ProblemException } from '@dropline/platform';
import { TransientDeliveryError, type DeadLetterLedger } from '@dropline/messaging';
import { DeadLettersController } from './dead-letters.controller';
import type { MessagingRuntime } from './messaging.runtime';

/** A controller over one consumer whose redrive fails with `cause`. */
function failingWith(cause: unknown): DeadLettersController {
  const ledger = {
    redrive: () => Promise.reject(new TransientDeliveryError('fulfillment: redrive of dead letter 7 failed: boom', cause)),
  } as unknown as DeadLetterLedger;
  const runtime = { deadLetters: (name: string) => (name === 'fulfillment' ? ledger : undefined) } as unknown as MessagingRuntime;
  return new DeadLettersController(runtime);
}

async function problemOf(controller: DeadLettersController): Promise<{ status: number; code: string; detail: string }> {
  const error = await controller.redrive({ consumer: 'fulfillment' }, { ids: ['7'] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemException);
  const body = (error as ProblemException).getResponse() as { code: string; detail: string };
  return { status: (error as ProblemException).getStatus(), code: body.code, detail: body.detail };
}

describe('DeadLettersController: a redrive that fails', () => {
  it("answers 503 STORE.UNAVAILABLE only when the consumer's database cannot be reached", async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(await problemOf(failingWith(down))).toMatchObject({ status: 503, code: 'STORE.UNAVAILABLE' });
  });

  it('answers 503 MESSAGING.REDRIVE_FAILED with the cause for any other transient failure (the topic, the handler)', async () => {
    const topic = new Error('The group coordinator is not available');
    expect(await problemOf(failingWith(topic))).toEqual({
      status: 503,
      code: 'MESSAGING.REDRIVE_FAILED',
      detail: 'The redrive failed and may pass when sent again: fulfillment: redrive of dead letter 7 failed: boom',
    });
  });

  it('answers 404 MESSAGING.CONSUMER_NOT_FOUND for a consumer that does not run here', async () => {
    const error = await failingWith(undefined)
      .list({ consumer: 'shipping' }, {})
      .catch((e: unknown) => e);
    expect((error as ProblemException).getResponse()).toMatchObject({ code: 'MESSAGING.CONSUMER_NOT_FOUND', field: 'consumer' });
  });
});
