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

/**
 * The statuses an answer may carry, and their titles. A status that is not in this table
 * is never sent: it becomes 500. (A detail named `status` once overwrote the HTTP status
 * with a drop's status, "open", and every ordinary rejection answered 500.)
 */
const TITLES: ReadonlyMap<number, string> = new Map([
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [406, 'Not Acceptable'],
  [408, 'Request Timeout'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [413, 'Payload Too Large'],
  [414, 'URI Too Long'],
  [415, 'Unsupported Media Type'],
  [417, 'Expectation Failed'],
  [422, 'Unprocessable Entity'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [503, 'Service Unavailable'],
]);

/** Members the renderer owns; extensions can never set them. */
const RESERVED = new Set(['type', 'title', 'status', 'code', 'detail', 'instance']);

/** An HTTP error that renders as application/problem+json. */
export class ProblemException extends HttpException {
  constructor(status: number, code: string, detail: string, extra: { field?: string } & Record<string, unknown> = {}) {
    super({ ...extra, status, code, detail }, status);
  }
}

/** The status actually sent for `status`: one from the table, 500 for anything else. */
export function knownStatus(status: unknown): number {
  return typeof status === 'number' && TITLES.has(status) ? status : 500;
}

/**
 * THE problem renderer: every error path builds its body here. Extensions (a domain error's
 * details, `field`) come first; `type`, `title`, `status`, `code` and `detail` are set last,
 * so no detail can overwrite them. `instance` is the filter's to set.
 */
export function problem(status: number, code: string, detail?: string, extensions: Record<string, unknown> = {}): ProblemBody {
  const sent = knownStatus(status);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extensions)) {
    if (!RESERVED.has(key) && value !== undefined) body[key] = value;
  }
  const safeCode = sent === status ? code : 'INTERNAL';
  return Object.assign(body, {
    type: `https://dropline.dev/problems/${safeCode.toLowerCase().replace(/\./g, '-')}`,
    title: TITLES.get(sent) as string,
    status: sent,
    code: safeCode,
    ...(detail ? { detail } : {}),
  }) as ProblemBody;
}

/**
 * HTTP status of a domain error code. The table names the codes whose kind is not in their
 * name; for the rest the code's last part names the kind of failure, so new codes fall into
 * place without touching this table. The status never comes from the error's details.
 */
const DOMAIN_STATUS: Readonly<Record<string, number>> = {
  'IDEMPOTENCY.KEY_REUSED': 422,
  'COMMAND.UNSTORABLE': 422,
  // The request passed the body limit (413 REQUEST.BODY_TOO_LARGE is for that); what it would
  // store does not fit one append. Not retryable as sent, like COMMAND.UNSTORABLE.
  'COMMAND.TOO_LARGE': 422,
  // The stream's stored history has a gap or does not start at 0: the request conflicts with the
  // state of the resource, which the engine refuses to rebuild. Retrying does not help until an
  // operator repairs the stream; it is logged as an error (ProblemFilter), and never a bare 500.
  'STREAM.NOT_CONTIGUOUS': 409,
  'PAYMENT.AMOUNT_EXCEEDS_ORDER': 422,
  'PAYMENT.CURRENCY_MISMATCH': 422,
  // POST /drops/:dropId/phases/:phase/open naming a phase the drop does not have: the resource is missing.
  'DROP.UNKNOWN_PHASE': 404,
};

export function statusForDomainCode(code: string): number {
  const listed = DOMAIN_STATUS[code];
  if (listed !== undefined) return listed;
  if (code.endsWith('NOT_FOUND')) return 404;
  if (/\.INVALID(_|$)/.test(code) || code.startsWith('VALIDATION.')) return 422;
  if (code.startsWith('AUTH.')) return 403;
  return 409;
}
