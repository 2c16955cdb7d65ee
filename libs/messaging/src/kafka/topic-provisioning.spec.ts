import { topicPlan } from './topic-provisioning';

describe('topic provisioning plan', () => {
  const settings = {
    topic: 'dropline.drop-events.v1',
    deadLetterTopic: 'dropline.drop-events.dead-letters.v1',
    partitions: 12,
    replicationFactor: 3,
    retentionDays: 30,
    deadLetterRetentionDays: 0,
  };

  it('creates the lifecycle topic with the configured partitions, replication and retention', () => {
    const [lifecycle] = topicPlan(settings);
    expect(lifecycle).toMatchObject({ topic: 'dropline.drop-events.v1', numPartitions: 12, replicationFactor: 3 });
    expect(lifecycle.configEntries).toEqual(
      expect.arrayContaining([
        { name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) },
        { name: 'min.insync.replicas', value: '2' },
        { name: 'cleanup.policy', value: 'delete' },
      ]),
    );
  });

  it('keeps dead letters forever when their retention is 0 and never asks for more in-sync replicas than exist', () => {
    const plan = topicPlan({ ...settings, replicationFactor: 1 });
    expect(plan[1]).toMatchObject({ topic: 'dropline.drop-events.dead-letters.v1', replicationFactor: 1 });
    expect(plan[1].configEntries).toEqual(
      expect.arrayContaining([
        { name: 'retention.ms', value: '-1' },
        { name: 'min.insync.replicas', value: '1' },
      ]),
    );
  });
});
