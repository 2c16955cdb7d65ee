import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError } from '@dropline/domain';
import {
  AppendTooLargeError,
  isConnectionError,
  StoreUnavailableError,
  StreamDeletedError,
  StreamTruncatedError,
  WrongExpectedRevisionError,
} from '@dropline/event-store';
import {
  CommandTooLargeError,
  ConcurrencyExhaustedError,
  StreamNotContiguousError,
  UnreadableStoredEventError,
  UnstorableCommandError,
} from '@dropline/event-sourcing';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, ProblemBody, statusForDomainCode } from './problem';

/** Renders every error as RFC 7807 application/problem+json; nothing reaches the client as a bare 500. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = this.toProblem(error);
    if (typeof request?.url === 'string') body.instance = request.url;
    if (body.status >= 500)
      this.logger.error(`${request?.method} ${request?.url} → ${body.status} ${body.code}: ${(error as Error)?.stack ?? String(error)}`);
    if (body.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  }

  private toProblem(error: unknown): ProblemBody {
    if (error instanceof DomainError) {
      return problem(statusForDomainCode(error.code), error.code, error.message, error.details);
    }
    if (error instanceof UnstorableCommandError) {
      // Validation should have refused it: worth a warning, with the store's reason, for whoever tightens the rule.
      this.logger.warn(`command refused by the store: ${String((error as { cause?: unknown }).cause ?? error.message)}`);
      return problem(422, error.code, error.message);
    }
    // An append outside the batching writer (e.g. the visits recorder) over the store's limit answers like a command too large.
    if (error instanceof CommandTooLargeError || error instanceof AppendTooLargeError) {
      this.logger.warn(`refused for its size: ${error.message}`);
      return problem(
        statusForDomainCode('COMMAND.TOO_LARGE'),
        'COMMAND.TOO_LARGE',
        'What this request would store exceeds what the event store takes in one append',
        {
          size: error.size,
          maxAppendBytes: error.maxAppendBytes,
        },
      );
    }
    if (error instanceof StreamNotContiguousError) {
      // A 4xx is not logged by default, but this one needs an operator: the stream was truncated or damaged.
      this.logger.error(`refusing a damaged stream: ${error.message}`);
      return problem(
        statusForDomainCode(error.code),
        error.code,
        'The stored history of this resource is incomplete (truncated or damaged); it cannot be changed until an operator repairs it.',
      );
    }
    if (error instanceof UnreadableStoredEventError) {
      // Not the caller's doing, and an operator must act (upgrade this engine, or repair the event):
      // logged as an error with the message naming the event, as every 5xx is.
      return problem(
        503,
        error.code,
        'The stored history of this resource holds an event this engine cannot read (written by a newer version, or damaged); an operator has been told. Retry later with the same Idempotency-Key.',
        { revision: error.revision },
      );
    }
    if (error instanceof StoreUnavailableError)
      return problem(503, 'STORE.UNAVAILABLE', 'The event store cannot be reached; retry with the same Idempotency-Key.');
    // A stream the store can no longer give in full: tombstoned (gone for good), or truncated by
    // $maxCount/$maxAge or a soft delete (a data loss the operator must see: logged as a 500).
    if (error instanceof StreamDeletedError) return problem(410, error.code, error.message);
    if (error instanceof StreamTruncatedError) return problem(500, error.code, error.message);
    if (error instanceof ConcurrencyExhaustedError || error instanceof WrongExpectedRevisionError) {
      return problem(503, 'STORE.CONTENDED', 'The drop is changing too fast right now; retry with the same Idempotency-Key.');
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const response = error.getResponse();
      if (typeof response === 'object' && response !== null && 'code' in response) {
        const { code, detail, ...rest } = response as Record<string, unknown>;
        return problem(status, String(code), typeof detail === 'string' ? detail : undefined, rest);
      }
      const message = typeof response === 'string' ? response : ((response as { message?: unknown })?.message ?? error.message);
      return problem(status, codeForStatus(status, error), Array.isArray(message) ? message.join('; ') : String(message));
    }
    const code = (error as { code?: unknown })?.code;
    // Fastify's own errors (bad JSON, body too large, unsupported media type) carry a status.
    const statusCode = (error as { statusCode?: unknown })?.statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      return problem(statusCode, codeForStatus(statusCode, error), (error as Error).message);
    }
    // Read-model and lease queries reach PostgreSQL through pg directly: a lost or refused
    // connection there is the same outage as in the event store, and answers the same way.
    if (isConnectionError(error) || code === 'ECONNREFUSED' || code === 'ETIMEDOUT') {
      return problem(503, 'STORE.UNAVAILABLE', 'A database cannot be reached; retry later.');
    }
    if (error instanceof Error && error.message === 'AggregateWriter is closed') {
      return problem(503, 'ENGINE.SHUTTING_DOWN', 'The engine is shutting down; retry with the same Idempotency-Key.');
    }
    return problem(500, 'INTERNAL', 'Unexpected error; it has been logged.');
  }
}

function codeForStatus(status: number, error: unknown): string {
  const fastifyCode = (error as { code?: unknown })?.code;
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'REQUEST.BODY_TOO_LARGE';
  if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY') return 'REQUEST.INVALID_JSON';
  switch (status) {
    case 400:
      return (error as Error)?.message?.includes('JSON') ? 'REQUEST.INVALID_JSON' : 'REQUEST.INVALID';
    case 401:
      return 'AUTH.UNAUTHENTICATED';
    case 403:
      return 'AUTH.FORBIDDEN';
    case 404:
      return 'ROUTE.NOT_FOUND';
    case 405:
      return 'ROUTE.METHOD_NOT_ALLOWED';
    case 413:
      return 'REQUEST.BODY_TOO_LARGE';
    case 415:
      return 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
    default:
      return `HTTP.${status}`;
  }
}
