import { ProblemException } from '../http/problem';

/**
 * 401: no token, or one that does not verify. The body says why (and `field` names the
 * claim when one claim is the reason: `exp`, `iat`, `sub`, `roles`, `city`…); the header says how
 * to authenticate.
 */
export class UnauthenticatedException extends ProblemException {
  constructor(code: 'AUTH.UNAUTHENTICATED' | 'AUTH.TOKEN_INVALID' | 'AUTH.TOKEN_EXPIRED', detail: string, extra: { field?: string } = {}) {
    super(401, code, detail, extra);
  }
}

/** 403: authenticated, but this caller may not do this. */
export class ForbiddenException extends ProblemException {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(403, code, detail, extra);
  }
}
