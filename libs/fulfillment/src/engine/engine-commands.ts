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

/** How fulfillment reaches the engine's command path, so the drop's history shows every hand-over. */
export interface EngineCommands {
  report(preOrderId: string, report: HandOverReport): Promise<void>;
}

/** Server mode: the engine's HTTP API, authenticated with the service token when one is configured. */
export class HttpEngineCommands implements EngineCommands {
  constructor(
    private readonly engineUrl: string,
    private readonly serviceToken: string | undefined,
    private readonly timeoutMs = 10_000,
  ) {}

  async report(preOrderId: string, report: HandOverReport): Promise<void> {
    const { action, ...body } = report;
    const response = await fetch(`${this.engineUrl.replace(/\/$/, '')}/pre-orders/${encodeURIComponent(preOrderId)}/${action}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': `fulfillment-${preOrderId}`.slice(0, 128),
        ...(this.serviceToken ? { authorization: `Bearer ${this.serviceToken}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.ok) return;
    const problem = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    throw new EngineRejectedError(response.status, problem);
  }
}
