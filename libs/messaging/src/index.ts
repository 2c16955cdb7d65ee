// Public API of @dropline/messaging: CloudEvents mapping, the relay, the effectively-once
// consumer runtime, dead letters, the in-process transport and the AsyncAPI generator.
export * from './transport';
export * from './cloud-events/ce-type';
export * from './cloud-events/cloud-event.codec';
export * from './drop-events';
export * from './kafka/kafka-client';
export * from './kafka/kafka-publisher';
export * from './kafka/kafka-consumer-runner';
export * from './kafka/topic-provisioning';
export * from './relay/relay';
export * from './consumer/consumer-handler';
export * from './consumer/dead-letters';
export * from './consumer/dead-letter-ledger';
export * from './consumer/dead-letter-retention';
export * from './consumer/effectively-once-consumer';
export * from './in-process/store-feed';
export * from './asyncapi/asyncapi.generator';
