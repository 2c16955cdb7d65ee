import { captureLogs } from '../testing/log-capture';
import { resolveLogFormat, traceFields } from './logging';

describe('log lines (pinoOptions)', () => {
  it('are JSON with level as a label, message, ISO time and the service', () => {
    const { logger, lines } = captureLogs();
    logger.info({ context: 'Engine' }, 'hello');
    expect(lines).toEqual([
      { level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'test', context: 'Engine', message: 'hello' },
    ]);
  });

  it('censor credentials wherever a logged object holds them', () => {
    const { logger, lines } = captureLogs();
    logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 's=1', accept: '*/*' } }, token: 't', auth: { token: 'u' } }, 'x');
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
      token: '[redacted]',
      auth: { token: '[redacted]' },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/abc|"t"|"u"/);
  });

  it('follow LOG_LEVEL (`log` is info; debug lines only at `debug`)', () => {
    const info = captureLogs('log');
    info.logger.debug('hidden');
    info.logger.info('shown');
    expect(info.lines.map((l) => l.message)).toEqual(['shown']);
    const warn = captureLogs('warn');
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
