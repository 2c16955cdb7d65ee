import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SALES_CHANNELS } from '@dropline/domain';
import { CUSTOMER_ID } from '../http/params';
import { ForbiddenException } from './auth-error';
import { authenticate } from './request-credentials';
import type { AuthSetup } from './auth-setup';
import { policyFor, RoutePolicy } from './route-policy';
import type { Principal, Role } from './roles';

export const AUTH_SETUP = Symbol('AUTH_SETUP');

const STAFF: readonly Role[] = ['ops', 'analyst', 'service'];
const CUSTOMER_CHANNELS = ['web', 'app'];
const TILL_CHANNELS = ['popup', 'kiosk'];

/**
 * The one access-control gate, global. It looks the route up in ROUTE_POLICY (deny by
 * default), verifies the bearer token (on public routes only when one is sent), checks the roles, and narrows customers and tills
 * to what the token alone decides is theirs (the customerId in a body or a path). Whether a
 * pre-order belongs to the caller depends on the drop's state, so the decider decides it
 * (commands carry the actor). `request.user` = { sub, roles }: the envelope's actor is the
 * token's subject. Rules on input (customerId, channel) only apply to well-formed values:
 * a malformed one is left to validation, which names the field.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(@Inject(AUTH_SETUP) private readonly auth: AuthSetup) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const route = request.routeOptions?.url ?? '';
    const policy = policyFor(request.method, route);
    if (policy && 'public' in policy) {
      // Optional authentication: a token sent to a public route is verified and its roles choose
      // the view (audience.ts); a token that does not verify is refused, never read as anonymous.
      const header = request.headers.authorization;
      if (header !== undefined && header !== '') request.user = await this.authenticate(request);
      return true;
    }
    const principal = await this.authenticate(request);
    if (!policy)
      throw new ForbiddenException(
        'AUTH.NO_POLICY',
        `${request.method} ${route} has no access policy (libs/platform/src/auth/route-policy.ts)`,
      );
    const granted = principal.roles.filter((r) => policy.roles.includes(r));
    if (granted.length === 0)
      throw new ForbiddenException('AUTH.FORBIDDEN', `${request.method} ${route} needs one of the roles ${policy.roles.join(', ')}`);
    request.user = principal;
    if (!granted.some((r) => STAFF.includes(r))) this.narrow(policy, granted, principal, request);
    return true;
  }

  /** Verified once per request (request-credentials.ts): the rate limiter may have asked already. */
  private authenticate(request: FastifyRequest): Promise<Principal> {
    return authenticate(request, this.auth.verifier);
  }

  /** Customers act for themselves; tills place on popup/kiosk for a named customer. */
  private narrow(
    policy: Extract<RoutePolicy, { roles: readonly Role[] }>,
    granted: Role[],
    principal: Principal,
    request: FastifyRequest,
  ): void {
    switch (policy.owner) {
      case 'body':
        return this.preOrderBody(granted, principal, request);
      case 'param': {
        const customerId = (request.params as Record<string, unknown>)?.customerId;
        if (typeof customerId === 'string' && customerId !== principal.sub) throw mismatch();
        return;
      }
      case undefined:
        return;
      default: {
        const never: never = policy.owner;
        throw new Error(`unknown owner rule ${String(never)}`);
      }
    }
  }

  private preOrderBody(granted: Role[], principal: Principal, request: FastifyRequest): void {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const b = body as Record<string, unknown>;
    const channel = typeof b.channel === 'string' && (SALES_CHANNELS as readonly string[]).includes(b.channel) ? b.channel : undefined;
    // A token with both roles acts as the till on till channels and as the customer elsewhere.
    const asTill =
      granted.includes('till') && (!granted.includes('customer') || (channel !== undefined && TILL_CHANNELS.includes(channel)));
    if (asTill) {
      if (channel !== undefined && !TILL_CHANNELS.includes(channel))
        throw new ForbiddenException('AUTH.CHANNEL_NOT_ALLOWED', 'A till places pre-orders on the popup or kiosk channel', {
          field: 'channel',
        });
      return;
    }
    if (channel !== undefined && !CUSTOMER_CHANNELS.includes(channel))
      throw new ForbiddenException('AUTH.CHANNEL_NOT_ALLOWED', 'Customers place pre-orders on the web or app channel', {
        field: 'channel',
      });
    if (b.customerId === undefined) b.customerId = principal.sub;
    else if (typeof b.customerId === 'string' && CUSTOMER_ID.test(b.customerId) && b.customerId !== principal.sub) throw mismatch();
  }
}

function mismatch(): ForbiddenException {
  return new ForbiddenException('AUTH.CUSTOMER_MISMATCH', "A customer token acts only for its own subject's pre-orders", {
    field: 'customerId',
  });
}
