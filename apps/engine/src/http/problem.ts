import { HttpException } from '@nestjs/common';

/** RFC 7807 body. `code` is stable and public; `field` names the offending input when there is one. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  field?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** An HTTP error that renders as application/problem+json. */
export class ProblemException extends HttpException {
  constructor(status: number, code: string, detail: string, extra: { field?: string } & Record<string, unknown> = {}) {
    super({ status, code, detail, ...extra }, status);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Builds a problem body; the `type` URI points at the error catalogue in the docs. */
export function problem(status: number, code: string, detail?: string, extra: Record<string, unknown> = {}): ProblemBody {
  return { type: `https://dropline.dev/problems/${code.toLowerCase().replace(/\./g, '-')}`, title: TITLES[status] ?? 'Error', status, code, ...(detail ? { detail } : {}), ...extra };
}

/**
 * HTTP status for a domain error code. The code's second part names the kind of
 * failure, so new codes fall into place without touching this table.
 */
export function statusForDomainCode(code: string): number {
  if (code.endsWith('NOT_FOUND')) return 404;
  if (code === 'IDEMPOTENCY.KEY_REUSED' || /\.INVALID(_|$)/.test(code) || code.startsWith('VALIDATION.')) return 422;
  if (code.startsWith('AUTH.')) return 403;
  return 409;
}
