import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type LoggerOptions } from 'pino';
import type { AppConfig } from '../config/app-config';

/** LOG_LEVEL (Nest's names) as pino levels. */
const PINO_LEVELS: Record<AppConfig['logLevel'], pino.Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

/** Where a credential could show up in a log object: censored whatever logs it. */
const CREDENTIAL_KEYS = ['authorization', 'cookie', 'token', 'accessToken', 'secret'];
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  ...CREDENTIAL_KEYS,
  ...CREDENTIAL_KEYS.map((key) => `*.${key}`),
];

/** Nest's route table at start: one line per route from these contexts (LOG_ROUTES). */
export const ROUTE_TABLE_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer']);

/** `auto` is pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(format: AppConfig['logFormat'], isTty: boolean | undefined = process.stdout.isTTY): 'json' | 'pretty' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

/** The active OpenTelemetry span's ids, when an SDK is installed and a span is active (nothing otherwise). */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const context = span.spanContext();
  return isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : {};
}

/**
 * pino's options for every Dropline process: `level` as a label and `message` as the text (one
 * JSON object per line), the time in ISO-8601, the active span's trace and span ids, and
 * credentials censored (REDACTED_PATHS).
 */
export function pinoOptions(config: Pick<AppConfig, 'logLevel'>, service: string): LoggerOptions {
  return {
    level: PINO_LEVELS[config.logLevel],
    messageKey: 'message',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** Where lines go: stdout as JSON, or through pino-pretty (in-process and synchronous, so nothing is lost at exit). */
export function logDestination(config: Pick<AppConfig, 'logFormat'>, isTty?: boolean): DestinationStream {
  if (resolveLogFormat(config.logFormat, isTty) === 'pretty') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for pretty logs, not by every JSON-logging start
    const pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
    return pinoPretty({
      sync: true,
      colorize: isTty ?? Boolean(process.stdout.isTTY),
      messageKey: 'message',
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,req,res,responseTime',
      messageFormat: '{if context}[{context}] {end}{message}',
      singleLine: true,
    });
  }
  return pino.destination({ fd: 1, sync: true });
}

/** A plain pino logger configured like the Nest apps' (for code that runs outside Nest). */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>, service: string): pino.Logger {
  return pino(pinoOptions(config, service), logDestination(config));
}
