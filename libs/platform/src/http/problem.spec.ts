import { EventStoreDbEventStore } from '@dropline/event-store/eventstoredb';
import { DomainError } from '@dropline/domain';
import { AppendTooLargeError, StoreUnavailableError, StreamDeletedError, StreamTruncatedError } from '@dropline/event-store';
import { CommandTooLargeError, StreamNotContiguousError } from '@dropline/event-sourcing';
import { problem, ProblemException, statusForDomainCode } from './problem';
import { ProblemFilter } from './problem.filter';

/** Renders `error` through the filter and returns what was sent. */
function render(error: unknown): { status: number; body: Record<string, unknown>; type: string | undefined } {
  const sent: { status: number; body: Record<string, unknown>; type: string | undefined } = { status: 0, body: {}, type: undefined };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      if (name === 'content-type') sent.type = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ method: 'POST', url: '/x' }) }) };
  new ProblemFilter().catch(error, host as never);
  return sent;
}

describe('problem renderer', () => {
  it('sets type, title, status and code last: details cannot overwrite them', () => {
    const body = problem(409, 'PREORDER.CANNOT_CANCEL', 'closed', {
      status: 'open',
      code: 'X',
      type: 'evil',
      title: 'T',
      detail: 'd2',
      instance: 'i',
      dropStatus: 'closed',
    });
    expect(body).toEqual({
      type: 'https://dropline.dev/problems/preorder-cannot_cancel',
      title: 'Conflict',
      status: 409,
      code: 'PREORDER.CANNOT_CANCEL',
      detail: 'closed',
      dropStatus: 'closed',
    });
  });

  it('never sends a status outside its table', () => {
    expect(problem(299, 'ODD', 'x')).toMatchObject({ status: 500, code: 'INTERNAL', title: 'Internal Server Error' });
    expect(problem(Number.NaN, 'ODD')).toMatchObject({ status: 500 });
  });

  it('answers a domain error whose details name a status with the status of its code', () => {
    const sent = render(new DomainError('DROP.DEFINITION_LOCKED', 'locked', { status: 'open' }));
    expect(sent.status).toBe(409);
    expect(sent.type).toBe('application/problem+json');
    expect(sent.body).toMatchObject({ status: 409, code: 'DROP.DEFINITION_LOCKED', instance: '/x' });
  });

  it('answers an EventStoreDB discovery failure with 503 STORE.UNAVAILABLE, lost streams with codes of their own', async () => {
    const discovery = new Error('Failed to discover after 10 attempts.');
    const store = new EventStoreDbEventStore({ appendToStream: () => Promise.reject(discovery) } as never, { deadlineMs: 200 });
    const error = await store.appendToStream('drop-a', [], 'any').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(render(error)).toMatchObject({ status: 503, body: { status: 503, code: 'STORE.UNAVAILABLE' } });
    expect(render(new StreamDeletedError('drop-a'))).toMatchObject({ status: 410, body: { title: 'Gone', code: 'STREAM.DELETED' } });
    expect(render(new StreamTruncatedError('drop-a', 0, 3))).toMatchObject({ status: 500, body: { code: 'STREAM.TRUNCATED' } });
  });

  it('keeps the status of a ProblemException whose extras name another', () => {
    const sent = render(new ProblemException(400, 'VALIDATION.FAILED', 'bad', { field: 'name', status: 'open' } as never));
    expect(sent).toMatchObject({ status: 400, body: { status: 400, code: 'VALIDATION.FAILED', field: 'name' } });
  });

  it('maps codes to statuses by table and kind', () => {
    expect(statusForDomainCode('PREORDER.NOT_FOUND')).toBe(404);
    expect(statusForDomainCode('IDEMPOTENCY.KEY_REUSED')).toBe(422);
    expect(statusForDomainCode('COMMAND.UNSTORABLE')).toBe(422);
    expect(statusForDomainCode('COMMAND.TOO_LARGE')).toBe(422);
    expect(statusForDomainCode('STREAM.NOT_CONTIGUOUS')).toBe(409);
    expect(statusForDomainCode('PAYMENT.INVALID_AMOUNT')).toBe(422);
    expect(statusForDomainCode('DROP.SOLD_OUT')).toBe(409);
    // Access phases: a phase the drop does not have is missing; the rest conflict with the drop's state.
    expect(statusForDomainCode('DROP.UNKNOWN_PHASE')).toBe(404);
    for (const code of [
      'DROP.PHASE_NOT_OPEN',
      'DROP.ALLOCATION_EXHAUSTED',
      'DROP.MEMBERS_LOCKED',
      'DROP.MEMBERS_LIMIT',
      'DROP.EARLY_ACCESS_ONLY',
    ])
      expect(statusForDomainCode(code)).toBe(409);
  });

  it("renders an access-phase refusal with the domain error's details: the buyer's phase, when it opens, the open one", () => {
    const details = { phase: 'city', opensAt: '2026-11-30T10:00:00Z', openPhase: 'members' };
    const sent = render(new DomainError('DROP.PHASE_NOT_OPEN', 'Drop d1 is in its members phase', details));
    expect(sent).toMatchObject({
      status: 409,
      type: 'application/problem+json',
      body: { status: 409, code: 'DROP.PHASE_NOT_OPEN', ...details },
    });
    const unknown = render(new DomainError('DROP.UNKNOWN_PHASE', 'Drop d1 has no access phase vip', { phase: 'vip', phases: ['members'] }));
    expect(unknown).toMatchObject({ status: 404, body: { code: 'DROP.UNKNOWN_PHASE', phase: 'vip', phases: ['members'] } });
  });

  it('answers a command too large for one append with 422 COMMAND.TOO_LARGE and the sizes', () => {
    const sent = render(new CommandTooLargeError('drop-d1', 70_000, 65_536));
    expect(sent.status).toBe(422);
    expect(sent.body).toMatchObject({ status: 422, code: 'COMMAND.TOO_LARGE', size: 70_000, maxAppendBytes: 65_536 });
    // The same for an append outside the writer that the store refuses for its size.
    const append = render(new AppendTooLargeError('visits-d1', 500_000, 65_536));
    expect(append.body).toMatchObject({ status: 422, code: 'COMMAND.TOO_LARGE', size: 500_000, maxAppendBytes: 65_536 });
    expect(String(append.body.detail)).not.toContain('visits-d1');
  });

  it('answers a stream that is not contiguous with 409 STREAM.NOT_CONTIGUOUS, naming no internals', () => {
    const sent = render(new StreamNotContiguousError('drop-d1', 0, 3));
    expect(sent.status).toBe(409);
    expect(sent.body).toMatchObject({ status: 409, code: 'STREAM.NOT_CONTIGUOUS', title: 'Conflict' });
    expect(String(sent.body.detail)).not.toContain('drop-d1');
  });
});
