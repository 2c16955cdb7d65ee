import { createServer, IncomingMessage, Server } from 'node:http';
import protobuf from 'protobufjs';

/** One span as an OTLP/HTTP exporter sends it, ids in hex whatever the encoding. */
export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  links: Array<{ traceId: string; spanId: string }>;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpSpan {
  traceId: string | Uint8Array;
  spanId: string | Uint8Array;
  parentSpanId?: string | Uint8Array;
  name: string;
  attributes?: OtlpAttribute[];
  links?: Array<{ traceId: string | Uint8Array; spanId: string | Uint8Array }>;
}

interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/**
 * The part of opentelemetry-proto's trace/v1 and collector/trace/v1 the test reads, with the
 * upstream field numbers (opentelemetry/proto/trace/v1/trace.proto); protobufjs skips the rest.
 */
const OTLP = protobuf.Root.fromJSON({
  nested: {
    AnyValue: {
      fields: {
        stringValue: { id: 1, type: 'string' },
        boolValue: { id: 2, type: 'bool' },
        intValue: { id: 3, type: 'int64' },
        doubleValue: { id: 4, type: 'double' },
      },
    },
    KeyValue: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'AnyValue' } } },
    Resource: { fields: { attributes: { id: 1, type: 'KeyValue', rule: 'repeated' } } },
    Link: { fields: { traceId: { id: 1, type: 'bytes' }, spanId: { id: 2, type: 'bytes' } } },
    Span: {
      fields: {
        traceId: { id: 1, type: 'bytes' },
        spanId: { id: 2, type: 'bytes' },
        parentSpanId: { id: 4, type: 'bytes' },
        name: { id: 5, type: 'string' },
        attributes: { id: 9, type: 'KeyValue', rule: 'repeated' },
        links: { id: 13, type: 'Link', rule: 'repeated' },
      },
    },
    ScopeSpans: { fields: { spans: { id: 2, type: 'Span', rule: 'repeated' } } },
    ResourceSpans: { fields: { resource: { id: 1, type: 'Resource' }, scopeSpans: { id: 2, type: 'ScopeSpans', rule: 'repeated' } } },
    ExportTraceServiceRequest: { fields: { resourceSpans: { id: 1, type: 'ResourceSpans', rule: 'repeated' } } },
  },
}).lookupType('ExportTraceServiceRequest');

const hex = (id: string | Uint8Array | undefined): string | undefined =>
  id === undefined || id.length === 0 ? undefined : typeof id === 'string' ? id : Buffer.from(id).toString('hex');

const attributes = (list: OtlpAttribute[] | undefined) => Object.fromEntries((list ?? []).map((a) => [a.key, Object.values(a.value)[0]]));

function decode(contentType: string, body: Buffer): OtlpRequest {
  if (contentType.startsWith('application/json')) return JSON.parse(body.toString('utf8')) as OtlpRequest;
  return OTLP.toObject(OTLP.decode(body), { longs: Number, bytes: Buffer }) as OtlpRequest;
}

const CONTENT_TYPES = ['application/json', 'application/x-protobuf'];

/**
 * An OTLP/HTTP receiver for tests: POST /v1/traces in either encoding (`http/json` or the default
 * `http/protobuf`), every span decoded the same way; `encodings` records which service sent which.
 */
export function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; encodings: Map<string, Set<string>>; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const encodings = new Map<string, Set<string>>();
  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const server = createServer((req, res) => {
    const contentType = String(req.headers['content-type']);
    if (req.method !== 'POST' || req.url !== '/v1/traces' || !CONTENT_TYPES.some((t) => contentType.startsWith(t))) {
      res.writeHead(415).end();
      return;
    }
    void body(req).then((raw) => {
      for (const rs of decode(contentType, raw).resourceSpans ?? []) {
        const service = String(attributes(rs.resource?.attributes)['service.name']);
        encodings.set(service, (encodings.get(service) ?? new Set()).add(contentType.split(';')[0]));
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              service,
              name: s.name,
              traceId: hex(s.traceId)!,
              spanId: hex(s.spanId)!,
              ...(hex(s.parentSpanId) ? { parentSpanId: hex(s.parentSpanId) } : {}),
              links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId)!, spanId: hex(l.spanId)! })),
              attributes: attributes(s.attributes),
            });
      }
      res.writeHead(200, { 'content-type': contentType.split(';')[0] }).end(contentType.startsWith('application/json') ? '{}' : '');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, spans, encodings, server });
    }),
  );
}
