import type { Role } from './roles';

/**
 * Who may call what: ONE table for every route, keyed by `METHOD /path` exactly as the
 * router registers it. Deny by default: a route missing here answers 403
 * AUTH.NO_POLICY to everyone, and the authorization-matrix test fails until it gets an
 * entry (and a row in the test's own allow/deny table).
 *
 * `owner` narrows a customer's access to their own data:
 *   'body'     POST /drops/:dropId/pre-orders — customerId in the body is the token's
 *              subject (filled in when left out; 403 AUTH.CUSTOMER_MISMATCH when it differs)
 *   'param'    the :customerId path parameter is the token's subject
 * Staff roles listed in `roles` are not narrowed. Whether a pre-order (:preOrderId) belongs
 * to the caller is not the guard's to decide: it depends on the drop's state, so the decider
 * refuses a cancel or return by anyone but its customer or ops, answering like a missing one.
 */
export type RoutePolicy = { public: true } | { roles: readonly Role[]; owner?: 'body' | 'param' };

const PUBLIC: RoutePolicy = { public: true };
const OPS: RoutePolicy = { roles: ['ops'] };
const OPS_OR_ANALYST: RoutePolicy = { roles: ['ops', 'analyst'] };
const OPS_OR_SERVICE: RoutePolicy = { roles: ['ops', 'service'] };
const SERVICE: RoutePolicy = { roles: ['service'] };

export const ROUTE_POLICY: Readonly<Record<string, RoutePolicy>> = {
  // Operability and the storefront's public reads. Public routes authenticate optionally: a token
  // sent is verified (401 when it does not) and an ops/analyst one gets the staff view (audience.ts).
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  // Prometheus scrapes with a `metrics` token (or METRICS_PORT, without one).
  'GET /metrics': { roles: ['ops', 'metrics'] },
  'GET /drops': PUBLIC,
  'GET /drops/:dropId': PUBLIC,
  'GET /drops/:dropId/summary': PUBLIC,

  // Drops and production: ops.
  'POST /drops': OPS,
  'PUT /drops/:dropId': OPS,
  'POST /drops/:dropId/announce': OPS,
  'POST /drops/:dropId/open': OPS,
  'POST /drops/:dropId/close': OPS,
  'POST /drops/:dropId/cancel': OPS,
  'POST /drops/:dropId/complete': OPS,
  // Access phases: ops open one by hand and keep the members list (who may buy in a members phase).
  'POST /drops/:dropId/phases/:phase/open': OPS,
  'POST /drops/:dropId/members': OPS,
  'DELETE /drops/:dropId/members/:customerId': OPS,
  'GET /drops/:dropId/members': OPS,
  'POST /drops/:dropId/production-runs': OPS,
  'POST /production-runs/:runId/start': OPS_OR_SERVICE,
  'POST /production-runs/:runId/complete': OPS_OR_SERVICE,

  // Pre-orders: customers on web/app for themselves, tills on popup/kiosk for a named customer.
  'POST /drops/:dropId/pre-orders': { roles: ['customer', 'till'], owner: 'body' },
  'POST /pre-orders/:preOrderId/cancel': { roles: ['customer', 'ops'] },
  'POST /pre-orders/:preOrderId/returns': { roles: ['customer', 'ops'] },
  'GET /customers/:customerId/pre-orders': { roles: ['customer', 'ops', 'analyst'], owner: 'param' },

  // Payments: only the payment provider's facts (service) record money; ops may ask for a refund.
  'POST /pre-orders/:preOrderId/payments': SERVICE,
  'POST /pre-orders/:preOrderId/refund-requests': OPS,
  'POST /returns/:returnId/refunds': SERVICE,

  // Fulfillment: ops by hand, the fulfillment app (service token) by callback.
  'POST /pre-orders/:preOrderId/dispatch': OPS_OR_SERVICE,
  'POST /pre-orders/:preOrderId/delivered': OPS_OR_SERVICE,
  'POST /pre-orders/:preOrderId/ready-for-pickup': OPS_OR_SERVICE,
  'POST /pre-orders/:preOrderId/picked-up': OPS_OR_SERVICE,
  'POST /returns/:returnId/receive': OPS_OR_SERVICE,
  'GET /fulfillment/tasks': OPS_OR_SERVICE,
  'GET /fulfillment/tasks/late': OPS_OR_SERVICE,
  'POST /fulfillment/tasks/:preOrderId/dispatch': OPS_OR_SERVICE,
  'POST /fulfillment/tasks/:preOrderId/delivered': OPS_OR_SERVICE,
  'POST /fulfillment/tasks/:preOrderId/ready': OPS_OR_SERVICE,
  'POST /fulfillment/tasks/:preOrderId/picked-up': OPS_OR_SERVICE,

  // Storefront visits are reported by the storefront backend and the tills.
  'POST /drops/:dropId/visits': { roles: ['service', 'till'] },

  // Analysts: read models, history, exports, replays; ops audit too.
  'GET /drops/:dropId/history': OPS_OR_ANALYST,
  'GET /events/:eventId': OPS_OR_ANALYST,
  'GET /events/:eventId/effects': OPS_OR_ANALYST,
  'GET /drops/:dropId/inventory': OPS_OR_ANALYST,
  'GET /drops/:dropId/restock-thresholds': OPS_OR_ANALYST,
  'GET /analytics/drops/:dropId': OPS_OR_ANALYST,
  'GET /admin/projections': OPS_OR_ANALYST,
  'GET /admin/projections/:name': OPS_OR_ANALYST,
  'POST /admin/projections/:name/rebuild': OPS,
  'GET /messaging/status': OPS_OR_ANALYST,
  // Dead letters hold the messages' data (customer ids): ops and analysts read them, ops redrive or dismiss them.
  'GET /messaging/dead-letters/:consumer': OPS_OR_ANALYST,
  'POST /messaging/dead-letters/:consumer/redrive': OPS,
  'POST /messaging/dead-letters/:consumer/dismiss': OPS,
};

/**
 * HEAD is GET without the body (Fastify serves it from the GET route, `exposeHeadRoutes`), so
 * it follows its GET's policy: a load balancer's `HEAD /health/ready` is public, an analyst's
 * `HEAD /drops/:dropId/history` needs what the GET needs.
 */
function policyMethod(method: string): string {
  const upper = method.toUpperCase();
  return upper === 'HEAD' ? 'GET' : upper;
}

/** The policy of a registered route (`path` as the router has it, e.g. `/drops/:dropId`); undefined = deny. */
export function policyFor(method: string, path: string): RoutePolicy | undefined {
  return ROUTE_POLICY[`${policyMethod(method)} ${path}`];
}

/**
 * The policy whose pattern matches a concrete URL path (for clients and tests that only
 * have `/drops/abc/open`). Exact segments win over parameters.
 */
export function policyForUrl(method: string, urlPath: string): { route: string; policy: RoutePolicy } | undefined {
  const segments = urlPath.split('?')[0].split('/').filter(Boolean);
  let best: { route: string; policy: RoutePolicy; score: number } | undefined;
  for (const [key, policy] of Object.entries(ROUTE_POLICY)) {
    const [m, pattern] = key.split(' ');
    if (m !== policyMethod(method)) continue;
    const parts = pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    let score = 0;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].startsWith(':')) continue;
      if (parts[i] !== segments[i]) {
        ok = false;
        break;
      }
      score++;
    }
    if (ok && (!best || score > best.score)) best = { route: pattern, policy, score };
  }
  return best && { route: best.route, policy: best.policy };
}
