import type { CommandContext } from '@dropline/event-sourcing';

/** A hand-over fact fulfillment reports to the engine. */
export type HandOverReport =
  | { action: 'dispatch'; carrier: string; trackingNumber: string }
  | { action: 'delivered' }
  | { action: 'ready-for-pickup' }
  | { action: 'picked-up' };

/** The engine refused the command (a domain rule); carries its problem body. */
export class EngineRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Record<string, unknown>,
  ) {
    super(`engine answered ${status}: ${String(problem.code ?? '')} ${String(problem.detail ?? '')}`);
    this.name = 'EngineRejectedError';
  }
}

/**
 * The request that asked for a hand-over (an ops user pressing "dispatched"): its command keeps the
 * request's actor, correlation and causation, so the drop's history names who did it.
 */
export interface HandOverOrigin {
  /** The request's envelope (contextFromRequest); `occurredAt` is the engine's to set. */
  context: Omit<CommandContext, 'occurredAt'>;
  /** The caller's `Authorization` header, forwarded in server mode so the engine verifies the caller and records it. */
  authorization?: string;
}

/** How fulfillment reaches the engine's command path, so the drop's history shows every hand-over. */
export interface EngineCommands {
  report(preOrderId: string, report: HandOverReport, origin?: HandOverOrigin): Promise<void>;
}

/** Server mode: the engine's HTTP API, authenticated with the service token when one is configured. */
export class HttpEngineCommands implements EngineCommands {
  constructor(
    private readonly engineUrl: string,
    private readonly serviceToken: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * With an origin, the caller's own token goes to the engine (the engine records and authorises the
   * caller, not fulfillment's service token) with its correlation id and trace; the engine's request
   * id becomes the events' causation.
   */
  async report(preOrderId: string, report: HandOverReport, origin?: HandOverOrigin): Promise<void> {
    const { action, ...body } = report;
    const authorization = origin?.authorization ?? (this.serviceToken ? `Bearer ${this.serviceToken}` : undefined);
    const response = await fetch(`${this.engineUrl.replace(/\/$/, '')}/pre-orders/${encodeURIComponent(preOrderId)}/${action}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': origin?.context.correlationId ?? `fulfillment-${preOrderId}`.slice(0, 128),
        ...(origin ? { traceparent: origin.context.traceparent } : {}),
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.ok) return;
    const problem = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    throw new EngineRejectedError(response.status, problem);
  }
}
