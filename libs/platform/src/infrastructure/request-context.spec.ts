import type { FastifyRequest } from 'fastify';
import { ManualClock } from './clock';
import { contextFromRequest } from './request-context';

const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
const request = (headers: Record<string, string>) =>
  ({ id: '0b7c1f8e-8a57-4a8e-9a53-4f6f1d1c2e01', headers, user: { sub: 'customer-1' } }) as unknown as FastifyRequest;

describe('the envelope context of an HTTP command', () => {
  const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it("keeps the caller's valid traceparent and correlation id", () => {
    expect(contextFromRequest(request({ traceparent: TP, 'x-correlation-id': 'checkout-42' }), clock)).toEqual({
      actor: 'customer-1',
      correlationId: 'checkout-42',
      causationId: '0b7c1f8e-8a57-4a8e-9a53-4f6f1d1c2e01',
      traceparent: TP,
      occurredAt: '2026-12-01T10:00:00.000Z',
    });
  });

  it('replaces a traceparent W3C calls invalid (an all-zero trace or parent id, another version) with a fresh valid one', () => {
    for (const traceparent of [
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      `00-${'0'.repeat(32)}-${'0'.repeat(16)}-00`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ]) {
      const fresh = contextFromRequest(request({ traceparent }), clock).traceparent;
      expect(fresh).toMatch(/^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$/);
      expect(fresh).not.toBe(traceparent);
    }
  });
});
