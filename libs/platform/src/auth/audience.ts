import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ForbiddenException, UnauthenticatedException } from './auth-error';
import type { Principal, Role } from './roles';

/**
 * Who a public read answers (docs/security.md, "Two audiences"): `staff` (an ops or analyst
 * token) gets the full view, everyone else — anonymous callers, customers, tills, services —
 * the storefront view. The public routes authenticate optionally: AuthGuard verifies a token
 * when one is sent (401 when it does not verify, never a silent downgrade) and leaves
 * `request.user` unset otherwise.
 */
export type ReadAudience = 'staff' | 'storefront';

/** Roles that read the full (staff) view of drops on the public routes. */
export const STAFF_READER_ROLES: readonly Role[] = ['ops', 'analyst'];

/** The audience of a caller (undefined = anonymous). */
export function audienceOf(principal: Principal | undefined): ReadAudience {
  return principal?.roles.some((r) => STAFF_READER_ROLES.includes(r)) ? 'staff' : 'storefront';
}

const principalOf = (context: ExecutionContext): Principal | undefined =>
  context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>().user;

/** Controller parameter: the audience of the request's caller. */
export const Audience = createParamDecorator((_: unknown, context: ExecutionContext): ReadAudience => audienceOf(principalOf(context)));

/** Controller parameter: the verified caller, undefined when anonymous (public routes). */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => principalOf(context));

/**
 * Refuses a staff-only option (time travel, …) on a public route to anyone but staff: 401 to an
 * anonymous caller, 403 to a token without a staff reader role.
 */
export function requireStaff(principal: Principal | undefined, what: string): void {
  if (!principal)
    throw new UnauthenticatedException('AUTH.UNAUTHENTICATED', `${what} needs an ops or analyst token (Authorization: Bearer <token>)`);
  if (audienceOf(principal) !== 'staff')
    throw new ForbiddenException('AUTH.FORBIDDEN', `${what} needs one of the roles ${STAFF_READER_ROLES.join(', ')}`);
}
