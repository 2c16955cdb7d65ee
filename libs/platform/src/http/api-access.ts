import type { OpenAPIObject } from '@nestjs/swagger';
import { policyFor, type RoutePolicy } from '../auth/route-policy';

/** The name of the bearer scheme in the OpenAPI document's `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearer';

/** The extension that lists, on every operation, the roles that may call it (absent: anyone). */
export const ROLES_EXTENSION = 'x-dropline-roles';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Operation {
  description?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
  [extension: `x-${string}`]: unknown;
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description:
    'RFC 7807 problem, sent as application/problem+json. `code` is stable and public; `field` names the offending input. ' +
    'A domain refusal carries its facts as extra members (e.g. `available` with DROP.INSUFFICIENT_STOCK).',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', example: 'https://dropline.dev/problems/drop-sold_out' },
    title: { type: 'string', example: 'Conflict' },
    status: { type: 'integer', example: 409 },
    code: { type: 'string', example: 'DROP.SOLD_OUT' },
    detail: { type: 'string', example: 'HH-M-NAVY is sold out' },
    field: { type: 'string', description: 'The offending input: a body path, a query or path parameter, or a header', example: 'quantity' },
    instance: { type: 'string', description: 'The request path', example: '/drops/8c0e…/pre-orders' },
  },
  additionalProperties: true,
};

function problem(description: string, headers?: Record<string, unknown>): Record<string, unknown> {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/** `customer` (own …), `ops`: who a role route admits, in words. */
function whoMayCall(policy: Extract<RoutePolicy, { roles: readonly unknown[] }>): string {
  return policy.roles
    .map((role) => {
      if (role !== 'customer' || !policy.owner) return `\`${role}\``;
      return policy.owner === 'body'
        ? '`customer` (for themselves: `customerId` is the token subject when left out, and must be it when given)'
        : '`customer` (their own `customerId` only)';
    })
    .join(', ');
}

/** The 403 of a role route: the wrong role, and where the route narrows a customer to their own data, someone else's. */
function forbidden(policy: Extract<RoutePolicy, { roles: readonly unknown[] }>): string {
  const wrongRole = `A token without one of the roles ${policy.roles.join(', ')} (\`AUTH.FORBIDDEN\`)`;
  if (policy.owner === 'body')
    return `${wrongRole}; a customer naming another customer (\`AUTH.CUSTOMER_MISMATCH\`); a channel the role does not sell on (\`AUTH.CHANNEL_NOT_ALLOWED\`)`;
  if (policy.owner === 'param') return `${wrongRole}; a customer asking for another customer (\`AUTH.CUSTOMER_MISMATCH\`)`;
  return wrongRole;
}

/**
 * Who may call each operation, and how it refuses, written into the OpenAPI document from the
 * one policy table the guard enforces (ROUTE_POLICY), so the document cannot drift from it:
 *
 * - `components.securitySchemes.bearer` (a JWT; docs/security.md, "Token claims");
 * - per operation, `security` (`[{ bearer }]` for a role route; `[{}, { bearer }]`, anonymous or a
 *   token, for a public one), `x-dropline-roles`, and the roles in the description;
 * - per operation, the problem answers every route can give: 400 when it takes input, 401, 403 for
 *   role routes, 429 (every route is rate limited), and `4XX`/`5XX` for the rest (a domain's 404,
 *   409 or 422, a body's 413/415), all `application/problem+json` with the `Problem` schema.
 *
 * A path without a policy (none is served: the authorization matrix test fails first) is
 * documented as refused to everyone, as the guard answers it (403 AUTH.NO_POLICY).
 */
export function describeAccess(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  components.securitySchemes = {
    ...components.securitySchemes,
    [BEARER_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'A JWT with `sub` and `roles` (ops, analyst, customer, till, service, metrics), and optionally `city`. ' +
        'Development tokens: `npm run -s dropline -- token --role <role>`. docs/security.md has the claims and the full matrix.',
    },
  };
  components.schemas = { ...components.schemas, Problem: PROBLEM_SCHEMA };

  for (const [path, item] of Object.entries(document.paths)) {
    const routePath = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      const operation = (item as Partial<Record<(typeof METHODS)[number], Operation>>)[method];
      if (!operation) continue;
      const policy = policyFor(method, routePath);
      const responses = (operation.responses ??= {});
      const add = (status: string, response: Record<string, unknown>) => {
        responses[status] ??= response;
      };
      if (operation.parameters?.length || operation.requestBody)
        add(
          '400',
          problem(
            'Invalid input: `VALIDATION.FAILED` with the offending `field`, or a `REQUEST.*` code for a body that is not JSON or is nested too deep',
          ),
        );
      let who: string;
      if (policy === undefined) {
        operation.security = [{ [BEARER_SCHEME]: [] }];
        operation[ROLES_EXTENSION] = [];
        who = 'nobody (no policy: `AUTH.NO_POLICY`)';
        add('403', problem('Refused to every caller: `AUTH.NO_POLICY`'));
      } else if ('public' in policy) {
        operation.security = [{}, { [BEARER_SCHEME]: [] }];
        who = 'anyone, without a token; a token sent is verified';
        add(
          '401',
          problem('A token was sent and does not verify (`AUTH.TOKEN_INVALID`, `AUTH.TOKEN_EXPIRED`); send none to call anonymously'),
        );
      } else {
        operation.security = [{ [BEARER_SCHEME]: [] }];
        operation[ROLES_EXTENSION] = [...policy.roles];
        who = whoMayCall(policy);
        add('401', problem('No token, or one that does not verify (`AUTH.UNAUTHENTICATED`, `AUTH.TOKEN_INVALID`, `AUTH.TOKEN_EXPIRED`)'));
        add('403', problem(forbidden(policy)));
      }
      add(
        '429',
        problem('Over the caller’s rate limit (`RATE.LIMITED`): wait for Retry-After', {
          'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' } },
        }),
      );
      add(
        '4XX',
        problem(
          'Any other refusal, with a stable `code`: the resource is missing (404), the drop’s state refuses it (409, 422), or the body is too large or not JSON (413, 415)',
        ),
      );
      add('5XX', problem('The engine failed (`INTERNAL`) or a dependency is unavailable (503)'));
      operation.description = [operation.description, `**Who may call:** ${who}.`].filter(Boolean).join('\n\n');
    }
  }
  return document;
}
