import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ProblemException } from './problem';

/** No control characters (NUL included) and no unpaired UTF-16 surrogates. */
export const PLAIN_TEXT = /^[^\p{Cc}\p{Cs}]*$/u;

/** What a handler declares about the query string. */
type QueryDeclaration =
  /** `@Query() q: SomeDto`: the global validation pipe checks it (unknown keys included). */
  | { kind: 'dto' }
  /** Only these keys (`@Query('name')`), or none at all. */
  | { kind: 'keys'; keys: ReadonlySet<string> };

const PRIMITIVES = new Set<unknown>([Object, String, Number, Boolean, Array, undefined]);

/**
 * Refuses query parameters a route does not declare, on EVERY Nest route — including the
 * many that take no query at all, where the validation pipe never runs because no
 * parameter asks for the query. A handler that declares `@Query() dto: SomeDto` is left to
 * the validation pipe (unknown keys refused); `@Query('key')` allows that key;
 * a handler with no @Query allows none. Every query value must also be plain text (no NUL or
 * other control characters, no unpaired surrogates): no parameter has a use for them and
 * PostgreSQL cannot hold NUL. Answers 400 VALIDATION.FAILED naming the parameter. A route with
 * no @Body refuses a body other than `{}` the same way (naming its first field, or `body`).
 *
 * A global guard registered after the AuthGuard (useGlobalGuards appends to the APP_GUARD
 * ones): it runs after authorization (an anonymous caller of a protected route still gets 401)
 * and before the pipes. A guard rather than an interceptor because Nest runs a route with no
 * interceptor straight through, where each global interceptor wraps every request in rxjs
 * and two AsyncResource.bind calls (about 3% of a pre-order's CPU with the logging one).
 */
@Injectable()
export class DeclaredQueryGuard implements CanActivate {
  private readonly declarations = new WeakMap<object, QueryDeclaration>();
  /** Handlers that declare a body (`@Body()`); the others take none but `{}`. */
  private readonly bodies = new WeakMap<object, boolean>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<{ query?: unknown; body?: unknown }>();
    if (request.body !== undefined && !isEmptyObject(request.body)) this.refuseUndeclaredBody(context, request.body);
    const query = request.query;
    if (typeof query === 'object' && query !== null) {
      const entries = Object.entries(query as Record<string, unknown>);
      if (entries.length > 0) {
        for (const [key, value] of entries) {
          const values = Array.isArray(value) ? value : [value];
          if (!PLAIN_TEXT.test(key) || values.some((v) => typeof v === 'string' && !PLAIN_TEXT.test(v))) {
            throw new ProblemException(400, 'VALIDATION.FAILED', `${key} must not contain control characters or unpaired surrogates`, {
              field: fieldName(key),
            });
          }
        }
        const declared = this.declarationOf(context);
        // Object.prototype's names (`__proto__`, `constructor`, …) are never parameters; class-transformer
        // skips them, so without this a DTO route would silently ignore them.
        const unknown = entries.find(([key]) => (declared.kind === 'keys' ? !declared.keys.has(key) : key in Object.prototype));
        if (unknown)
          throw new ProblemException(400, 'VALIDATION.FAILED', `property ${fieldName(unknown[0])} should not exist`, {
            field: fieldName(unknown[0]),
          });
      }
    }
    return true;
  }

  /**
   * A route that declares no body (`POST /drops/:dropId/open`, …) refuses one, as a body route
   * refuses unknown fields: it would otherwise be accepted and ignored. An empty object is
   * allowed (clients send `{}` with a bodyless POST).
   */
  private refuseUndeclaredBody(context: ExecutionContext, body: unknown): void {
    const handler = context.getHandler();
    let takes = this.bodies.get(handler);
    if (takes === undefined) {
      takes = declaresBody(context.getClass(), handler.name);
      this.bodies.set(handler, takes);
    }
    if (takes) return;
    const key = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    if (key !== undefined)
      throw new ProblemException(400, 'VALIDATION.FAILED', `property ${fieldName(key)} should not exist`, { field: fieldName(key) });
    throw new ProblemException(400, 'VALIDATION.FAILED', 'This route takes no body (or an empty object)', { field: 'body' });
  }

  private declarationOf(context: ExecutionContext): QueryDeclaration {
    const handler = context.getHandler();
    let declaration = this.declarations.get(handler);
    if (!declaration) {
      declaration = queryDeclaration(context.getClass(), handler.name);
      this.declarations.set(handler, declaration);
    }
    return declaration;
  }
}

/** Reads the route-argument metadata Nest's @Query() decorator writes. */
export function queryDeclaration(controller: object, method: string): QueryDeclaration {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number; data?: unknown }>;
  const types = (Reflect.getMetadata('design:paramtypes', (controller as { prototype: object }).prototype, method) ?? []) as unknown[];
  const keys = new Set<string>();
  for (const [key, arg] of Object.entries(args)) {
    if (Number(key.split(':')[0]) !== RouteParamtypes.QUERY) continue;
    if (typeof arg.data === 'string') keys.add(arg.data);
    // A whole-query parameter typed as a class is validated by the pipe; typed as a plain
    // object (or untyped) nothing would check it, so it declares nothing.
    else if (arg.data === undefined && !PRIMITIVES.has(types[arg.index])) return { kind: 'dto' };
  }
  return { kind: 'keys', keys };
}

/** Whether a handler has a `@Body()` parameter (Nest's route-argument metadata). */
export function declaresBody(controller: object, method: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, unknown>;
  return Object.keys(args).some((key) => Number(key.split(':')[0]) === RouteParamtypes.BODY);
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const _ in value) return false;
  return true;
}

/** A key as a problem's `field`: printable, and short. */
function fieldName(key: string): string {
  const printable = key.replace(/[\p{Cc}\p{Cs}]/gu, '?');
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable;
}
