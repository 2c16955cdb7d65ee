import { readFileSync } from 'node:fs';
import { eventsIndexesOf } from './events-indexes';
import { EVENT_STORE_SCHEMA_SQL_PATH } from './postgres.schema';

describe('eventsIndexesOf: the indexes schema.sql declares on events', () => {
  it('finds each one with its uniqueness and its definition, WHERE included', () => {
    expect(eventsIndexesOf(readFileSync(EVENT_STORE_SCHEMA_SQL_PATH, 'utf8'))).toEqual([
      { name: 'events_log_idx', unique: true, definition: '(transaction_id, global_position)' },
      {
        name: 'events_causation_idx',
        unique: false,
        definition: "((metadata->>'causationId'), transaction_id, global_position) WHERE metadata->>'causationId' IS NOT NULL",
      },
    ]);
  });

  it('ignores indexes on other tables', () => {
    expect(eventsIndexesOf('CREATE INDEX IF NOT EXISTS streams_x ON streams (revision);')).toEqual([]);
  });
});
