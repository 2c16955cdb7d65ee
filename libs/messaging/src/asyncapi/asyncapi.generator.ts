import { EVENT_DESCRIPTIONS, EVENT_PAYLOAD_SCHEMAS, EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { ceTypeOf } from '../cloud-events/ce-type';
import { DEFAULT_CE_SOURCE, DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_DROP_EVENTS_TOPIC } from '../drop-events';

export interface AsyncApiOptions {
  topic?: string;
  deadLetterTopic?: string;
  partitions?: number;
  replicationFactor?: number;
}

/** Component name of an event's message and payload: the stored type plus its version. */
const componentName = (type: string, version: number) => `${type}V${version}`;

/** The CloudEvents headers of Kafka binary content mode shared by every message. */
function cloudEventHeaders(): Record<string, unknown> {
  return {
    type: 'object',
    required: [
      'ce_specversion',
      'ce_id',
      'ce_source',
      'ce_type',
      'ce_time',
      'ce_subject',
      'ce_partitionkey',
      'ce_correlationid',
      'content-type',
    ],
    properties: {
      ce_specversion: { type: 'string', const: '1.0', description: 'CloudEvents spec version.' },
      ce_id: { type: 'string', format: 'uuid', description: 'The stored event id (never a new one): consumers deduplicate by it.' },
      ce_source: { type: 'string', examples: [DEFAULT_CE_SOURCE], description: 'The publishing engine.' },
      ce_type: {
        type: 'string',
        pattern: '^dropline\\.[a-z0-9]+\\.[a-z0-9]+\\.v[0-9]+$',
        description: 'dropline.<subject>.<action>.v<schema version>, derived from the stored type.',
      },
      ce_time: { type: 'string', format: 'date-time', description: 'When the fact happened in the domain.' },
      ce_subject: { type: 'string', description: 'The drop id.' },
      ce_partitionkey: { type: 'string', description: 'The drop id (also the Kafka key).' },
      ce_correlationid: { type: 'string', description: 'Correlation id of the request that started the flow.' },
      ce_causationid: { type: 'string', description: 'Id of the request or event that caused this event; absent when none.' },
      'content-type': { type: 'string', const: 'application/json' },
      traceparent: { type: 'string', pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$', description: 'W3C trace context.' },
    },
  };
}

/** The AsyncAPI 3.0 document of the drop-events topic, generated from the event definitions in @dropline/domain. */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): Record<string, unknown> {
  const topic = options.topic ?? DEFAULT_DROP_EVENTS_TOPIC;
  const deadLetterTopic = options.deadLetterTopic ?? DEFAULT_DEAD_LETTER_TOPIC;
  const types = Object.keys(EVENT_SCHEMA_VERSIONS).sort() as Array<keyof typeof EVENT_SCHEMA_VERSIONS>;
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = { CloudEventHeaders: cloudEventHeaders() };
  const channelMessages: Record<string, unknown> = {};
  for (const type of types) {
    const version = EVENT_SCHEMA_VERSIONS[type];
    const name = componentName(type, version);
    const ceType = ceTypeOf(type, version);
    schemas[name] = EVENT_PAYLOAD_SCHEMAS[type];
    messages[name] = {
      name: ceType,
      title: `${type} v${version}`,
      summary: EVENT_DESCRIPTIONS[type],
      contentType: 'application/json',
      headers: {
        allOf: [
          { $ref: '#/components/schemas/CloudEventHeaders' },
          { type: 'object', properties: { ce_type: { type: 'string', const: ceType } } },
        ],
      },
      payload: { $ref: `#/components/schemas/${name}` },
      correlationId: { location: '$message.header#/ce_correlationid' },
      bindings: {
        kafka: { key: { type: 'string', description: 'The drop id: one drop, one partition, store order.' }, bindingVersion: '0.5.0' },
      },
    };
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
  }
  messages.DeadLetter = {
    name: 'dead-letter',
    title: 'Dead letter',
    summary: 'A message a consumer can never apply: the original key, value and headers, plus why.',
    headers: {
      type: 'object',
      required: ['dl_reason', 'dl_consumer'],
      properties: {
        dl_reason: { type: 'string', description: 'unparseable, unknown-schema or rejected:<code>.' },
        dl_detail: { type: 'string' },
        dl_consumer: {
          type: 'string',
          description: 'The consumer that gave up on it: `fulfillment` or `analytics`, without KAFKA_GROUP_PREFIX.',
        },
        dl_topic: { type: 'string' },
        dl_partition: { type: 'string' },
        dl_offset: { type: 'string' },
      },
    },
    payload: { description: 'The original message value, unchanged (it may not be JSON).' },
  };
  const channelRefs = (channel: string) => Object.keys(channelMessages).map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Dropline drop events',
      version: '1.0.0',
      description:
        'Every event of a drop, published by the Dropline relay from the event store as CloudEvents 1.0 in Kafka binary content mode. ' +
        "Keyed by drop id: Kafka orders within a partition, so one drop's events arrive in store order. Delivery is at least once; " +
        'consumers deduplicate by ce_id. Generated by `npm run asyncapi:generate` from libs/domain; do not edit by hand.',
    },
    defaultContentType: 'application/json',
    servers: {
      kafka: { host: 'localhost:9092', protocol: 'kafka', description: 'Set KAFKA_BROKERS; see docs/messaging.md.' },
    },
    channels: {
      dropEvents: {
        address: topic,
        title: 'Drop lifecycle',
        messages: channelMessages,
        bindings: {
          kafka: { topic, partitions: options.partitions ?? 12, replicas: options.replicationFactor ?? 3, bindingVersion: '0.5.0' },
        },
      },
      deadLetters: {
        address: deadLetterTopic,
        title: 'Dead letters',
        messages: { DeadLetter: { $ref: '#/components/messages/DeadLetter' } },
      },
    },
    operations: {
      publishDropEvents: {
        action: 'send',
        title: 'The relay publishes every drop event',
        channel: { $ref: '#/channels/dropEvents' },
        messages: channelRefs('dropEvents'),
      },
      fulfillmentReceives: {
        action: 'receive',
        title: 'Consumer group fulfillment',
        description: 'Group id `fulfillment`, with KAFKA_GROUP_PREFIX before it when set.',
        channel: { $ref: '#/channels/dropEvents' },
        messages: channelRefs('dropEvents'),
      },
      analyticsReceives: {
        action: 'receive',
        title: 'Consumer group analytics',
        description: 'Group id `analytics`, with KAFKA_GROUP_PREFIX before it when set.',
        channel: { $ref: '#/channels/dropEvents' },
        messages: channelRefs('dropEvents'),
      },
      deadLetter: {
        action: 'send',
        title: 'Consumers dead-letter what they can never apply',
        channel: { $ref: '#/channels/deadLetters' },
        messages: [{ $ref: '#/channels/deadLetters/messages/DeadLetter' }],
      },
    },
    components: { schemas, messages },
  };
}

/** docs/asyncapi.yaml as text. */
export function renderAsyncApiYaml(options: AsyncApiOptions = {}): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when the document is rendered, not by every app through the messaging barrel
  const { stringify } = require('yaml') as typeof import('yaml');
  return (
    '# Generated by `npm run asyncapi:generate` from the event definitions in libs/domain. Do not edit.\n' +
    stringify(buildAsyncApiDocument(options), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}
