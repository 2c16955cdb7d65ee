-- Event store schema (PostgreSQL 13+ and PGlite). Idempotent: ensureEventStoreSchema() and the
-- PGlite test template both run this file as is, so only use IF NOT EXISTS statements here.

CREATE TABLE IF NOT EXISTS events (
  global_position bigserial   NOT NULL,
  -- Assigned by the first write of the appending transaction. Readers order the global log by
  -- (transaction_id, global_position) and only read below the snapshot xmin (the safe horizon),
  -- so a slow transaction can never commit an event "behind" a reader. See postgres.event-store.ts.
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  stream_name     text        NOT NULL,
  revision        bigint      NOT NULL,
  event_id        uuid        NOT NULL,
  type            text        NOT NULL,
  schema_version  integer     NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_pkey PRIMARY KEY (stream_name, revision),
  CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- Keyset reads of the global log: WHERE (transaction_id, global_position) > ($1, $2) ORDER BY both.
CREATE UNIQUE INDEX IF NOT EXISTS events_log_idx ON events (transaction_id, global_position);

-- One row per stream with its current revision: the expected-revision check reads it under the
-- per-stream advisory lock instead of scanning events for max(revision).
CREATE TABLE IF NOT EXISTS streams (
  stream_name text   NOT NULL PRIMARY KEY,
  revision    bigint NOT NULL
);

-- Causation lookups (GET /events/:eventId/effects): the events an event caused, in log order.
-- Partial: events without a cause (none today, but older logs hold them) take no index space.
CREATE INDEX IF NOT EXISTS events_causation_idx ON events ((metadata->>'causationId'), transaction_id, global_position)
  WHERE metadata->>'causationId' IS NOT NULL;
