import { classifyStoredEvent, screenBadEvents } from './stored-event-check';

describe('classifyStoredEvent', () => {
  const placed = { type: 'PreOrderPlaced', schemaVersion: 1, data: { dropId: 'd1' } };

  it('accepts a known type at the version the code writes, side streams included', () => {
    expect(classifyStoredEvent(placed)).toEqual({ ok: true });
    expect(classifyStoredEvent({ type: 'VisitsRecorded', schemaVersion: 1, data: { dropId: 'd1', visits: [] } })).toEqual({ ok: true });
  });

  it('names an unknown type', () => {
    expect(classifyStoredEvent({ ...placed, type: 'PreOrderTeleported' })).toEqual({
      ok: false,
      problem: 'unknown-type',
      detail: 'unknown event type "PreOrderTeleported"',
    });
  });

  it('names a schema version newer than the code knows', () => {
    expect(classifyStoredEvent({ ...placed, schemaVersion: 99 })).toMatchObject({
      ok: false,
      problem: 'newer-schema',
      detail: expect.stringContaining('99'),
    });
  });

  it('calls undecodable what the upcaster rejects, a payload that is not an object, and what the adapter could not parse', () => {
    expect(classifyStoredEvent({ ...placed, schemaVersion: 0 })).toMatchObject({
      ok: false,
      problem: 'undecodable',
      detail: expect.stringContaining('schema version 0'),
    });
    expect(classifyStoredEvent({ ...placed, data: 'garbage' })).toMatchObject({
      ok: false,
      problem: 'undecodable',
      detail: expect.stringContaining('string'),
    });
    expect(classifyStoredEvent({ ...placed, data: [1] })).toMatchObject({ ok: false, problem: 'undecodable' });
    expect(classifyStoredEvent({ ...placed, data: null })).toMatchObject({ ok: false, problem: 'undecodable' });
    expect(classifyStoredEvent({ ...placed, data: {}, decodeError: 'Unexpected token } in JSON' })).toEqual({
      ok: false,
      problem: 'undecodable',
      detail: 'Unexpected token } in JSON',
    });
  });
});

describe('screenBadEvents', () => {
  const at = (revision: number, schemaVersion = 1) => ({
    type: 'PreOrderPlaced',
    schemaVersion,
    data: { dropId: 'd1' },
    position: String(revision),
    streamName: 'drop-d1',
    revision,
    eventId: `e${revision}`,
  });
  const page = [at(0), at(1, 99), at(2), at(3, 99), at(4)];

  it('stop: the events before the first bad one, and that one', () => {
    const { events, stoppedAt, skipped } = screenBadEvents(page, 'stop');
    expect([events.map((e) => e.revision), stoppedAt?.position, skipped]).toEqual([[0], '1', []]);
  });

  it('skip: every good event, and each bad one listed', () => {
    const { events, stoppedAt, skipped } = screenBadEvents(page, 'skip');
    expect([events.map((e) => e.revision), stoppedAt, skipped.map((b) => [b.position, b.problem])]).toEqual([
      [0, 2, 4],
      undefined,
      [
        ['1', 'newer-schema'],
        ['3', 'newer-schema'],
      ],
    ]);
  });
});
