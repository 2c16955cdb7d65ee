import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientErrorBody, defaultMaxConnections, MAX_HEADER_BYTES } from './server-limits';
import { limitFor } from './rate-limit';

const parserError = (code: string, rawPacket?: Buffer) => Object.assign(new Error(code), { code, rawPacket });

describe("Node's parser errors as problems", () => {
  it('tells a request line over the budget (414) from headers over it (431)', () => {
    const longLine = Buffer.from(`GET /drops?city=${'c'.repeat(MAX_HEADER_BYTES + 10)}`);
    expect(clientErrorBody(parserError('HPE_HEADER_OVERFLOW', longLine))).toMatchObject({ status: 414, code: 'REQUEST.URL_TOO_LONG' });
    const headers = Buffer.from(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(MAX_HEADER_BYTES)}`);
    expect(clientErrorBody(parserError('HPE_HEADER_OVERFLOW', headers))).toMatchObject({ status: 431, code: 'REQUEST.HEADERS_TOO_LARGE' });
    // A later chunk of headers, or no packet at all: headers.
    expect(clientErrorBody(parserError('HPE_HEADER_OVERFLOW', Buffer.from('aaaa')))).toMatchObject({ status: 431 });
    expect(clientErrorBody(parserError('HPE_HEADER_OVERFLOW'))).toMatchObject({ status: 431 });
  });

  it('answers timeouts 408 and anything else 400 REQUEST.MALFORMED, with a title from the table', () => {
    expect(clientErrorBody(parserError('ERR_HTTP_REQUEST_TIMEOUT'))).toMatchObject({
      status: 408,
      code: 'REQUEST.TIMEOUT',
      title: 'Request Timeout',
    });
    expect(clientErrorBody(parserError('HPE_INVALID_METHOD'))).toMatchObject({ status: 400, code: 'REQUEST.MALFORMED' });
  });
});

describe('the default connection cap', () => {
  const limits = (line: string) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'limits-')), 'limits');
    writeFileSync(file, `Limit                     Soft Limit           Hard Limit           Units\n${line}\n`);
    return file;
  };
  it('is ¾ of the soft open-files limit less 100, or 1000 where it cannot be read', () => {
    expect(defaultMaxConnections(limits('Max open files            20000                20000                files'))).toBe(14_900);
    expect(defaultMaxConnections(limits('Max open files            1024                 4096                 files'))).toBe(668);
    expect(defaultMaxConnections(limits('Max processes             1024                 4096                 processes'))).toBe(1000);
    expect(defaultMaxConnections('/nonexistent/limits')).toBe(1000);
  });
});

describe('rate-limit buckets', () => {
  const limits = { enabled: true, windowMs: 60_000, anonymous: 1200, authenticated: 6000, authFailures: 30 };
  it('gives a verified subject, a failed token and an anonymous address their own limit', () => {
    expect(limitFor('sub:alice', limits)).toBe(6000);
    expect(limitFor('fail:10.0.0.1', limits)).toBe(30);
    expect(limitFor('ip:10.0.0.1', limits)).toBe(1200);
  });
});
