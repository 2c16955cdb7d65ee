import { Writable } from 'node:stream';
import pino from 'pino';
import { pinoOptions } from '../logging/logging';

/** A pino logger with Dropline's options (tests only) writing into an array of parsed lines. */
export function captureLogs(level: 'error' | 'warn' | 'log' | 'debug' = 'log') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino(pinoOptions({ logLevel: level }, 'test'), stream), lines };
}
