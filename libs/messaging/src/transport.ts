/** A message as handed to a broker: Kafka binary content mode (value = data, envelope in headers). */
export interface OutboundMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** A message as received from a transport (Kafka or in-process). Header values may arrive as bytes. */
export interface InboundMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
  /** Where it came from, for logs and dead letters. */
  topic?: string;
  partition?: number;
  offset?: string;
}

/** Publishes a batch; resolves only once the broker acknowledged every message (acks = all). */
export interface MessagePublisher {
  publish(messages: OutboundMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** Reads a header as a string (Kafka hands them over as Buffers). */
export function headerString(headers: InboundMessage['headers'], name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
