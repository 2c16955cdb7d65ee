import { Partitioners } from 'kafkajs';
import { createKafka, producerOptions } from './kafka-client';

describe('createKafka and producerOptions', () => {
  it.each([true, false])(
    'name the Java-compatible partitioner (idempotent %s), so creating a producer logs no partitioner warning',
    (idempotentProducer) => {
      const logged: string[] = [];
      const kafka = createKafka({ brokers: ['127.0.0.1:9'], clientId: 'spec', idempotentProducer }, (level, m) =>
        logged.push(`${level} ${m}`),
      );
      const options = producerOptions({ idempotentProducer });
      expect(options.createPartitioner).toBe(Partitioners.DefaultPartitioner);
      kafka.producer(options);
      expect(logged.filter((line) => /partitioner/i.test(line))).toEqual([]);
    },
  );

  it('without them kafkajs warns, and a line without a namespace is logged without "undefined:"', () => {
    const logged: string[] = [];
    const kafka = createKafka({ brokers: ['127.0.0.1:9'], clientId: 'spec', idempotentProducer: false }, (level, m) =>
      logged.push(`${level} ${m}`),
    );
    const { createPartitioner: _default, ...rest } = producerOptions({ idempotentProducer: false });
    kafka.producer(rest);
    expect(logged).toEqual([expect.stringMatching(/^warn KafkaJS v2\.0\.0 switched default partitioner/)]);
  });
});
