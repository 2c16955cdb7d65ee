import { Writable } from 'node:stream';
import pino from 'pino';
import { pinoOptions, resolveLogFormat, traceFields } from './logging';

/** A pino logger with Dropline's options writing into an array of parsed lines. */
function capture(level: 'error' | 'warn' | 'log' | 'debug' = 'log') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino(pinoOptions({ logLevel: level }, 'test'), stream), lines };
}

describe('log lines (pinoOptions)', () => {
  it('are JSON with level as a label, message, ISO time and the service', () => {
    const { logger, lines } = capture();
    logger.info({ context: 'Engine' }, 'hello');
    expect(lines).toEqual([
      { level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'test', context: 'Engine', message: 'hello' },
    ]);
  });

  it('censor credentials wherever a logged object holds them', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 's=1', accept: '*/*' } }, token: 't', auth: { token: 'u' } }, 'x');
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
      token: '[redacted]',
      auth: { token: '[redacted]' },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/abc|"t"|"u"/);
  });

  it('follow LOG_LEVEL (`log` is info; debug lines only at `debug`)', () => {
    const info = capture('log');
    info.logger.debug('hidden');
    info.logger.info('shown');
    expect(info.lines.map((l) => l.message)).toEqual(['shown']);
    const warn = capture('warn');
    warn.logger.info('hidden');
    expect(warn.lines).toEqual([]);
  });

  it('carry no trace ids without an active span (no OpenTelemetry SDK here)', () => {
    expect(traceFields()).toEqual({});
  });
});

describe('LOG_FORMAT', () => {
  it('auto is pretty on a terminal and JSON otherwise; json and pretty override', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
