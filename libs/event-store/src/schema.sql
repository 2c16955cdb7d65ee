-- Event store schema (PostgreSQL 13+ and PGlite). Idempotent: ensureEventStoreSchema() and the
-- PGlite test template both run this file as is, so only use IF NOT EXISTS (or, for functions,
-- CREATE OR REPLACE) statements here.

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

-- Which version of this file each part of Dropline's schema was brought to (name 'event-store':
-- the sha256 of this file). A start that finds its digest here runs none of this file's DDL, so it
-- takes no lock on events (ensureEventStoreSchema).
CREATE TABLE IF NOT EXISTS dropline_schema (
  name       text        NOT NULL PRIMARY KEY,
  digest     text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- Causation lookups (GET /events/:eventId/effects): the events an event caused, in log order.
-- Partial: events without a cause (none today, but older logs hold them) take no index space.
CREATE INDEX IF NOT EXISTS events_causation_idx ON events ((metadata->>'causationId'), transaction_id, global_position)
  WHERE metadata->>'causationId' IS NOT NULL;

-- One append in one statement, so in one round trip and its own (implicit) transaction:
-- PostgresEventStore.appendToStream calls it outside BEGIN/COMMIT. In order:
--  1. the stream's advisory lock, BEFORE anything is written: the lock assigns no transaction id,
--     the first INSERT does, so of two overlapping appends to one stream the second gets its xid
--     only after the first committed (a strictly larger one) and the global log order
--     (transaction_id, global_position) agrees with revision order (see postgres.event-store.ts);
--  2. the current revision, read with a snapshot taken AFTER the lock was granted (a VOLATILE
--     plpgsql function takes a new snapshot per statement; one plain SQL statement would read
--     with the snapshot it started with, before it waited for the lock);
--  3. the expected-revision check: a mismatch is a result row (ok = false, the actual revision),
--     not an exception, and nothing is written;
--  4. the events (row i of p_rows becomes revision actual + 1 + i) and the streams row.
-- p_expected is 'any', 'no_stream', 'stream_exists' or a revision as text.
-- With no rows it only checks, and reports where the stream's last event sits (NULLs: no event).
CREATE OR REPLACE FUNCTION dropline_append(p_stream text, p_rows jsonb, p_expected text)
  RETURNS TABLE (out_ok boolean, out_revision bigint, out_tx xid8, out_gp bigint)
  LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_actual bigint;
  v_count bigint := jsonb_array_length(p_rows);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
  SELECT s.revision INTO v_actual FROM streams s WHERE s.stream_name = p_stream;
  v_actual := coalesce(v_actual, -1);
  -- In parentheses: plpgsql ends an IF condition at the first THEN outside them.
  IF NOT (CASE p_expected
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN v_actual = -1
      WHEN 'stream_exists' THEN v_actual >= 0
      ELSE v_actual = p_expected::bigint
    END) THEN
    RETURN QUERY SELECT false, v_actual, NULL::xid8, NULL::bigint;
    RETURN;
  END IF;
  IF v_count = 0 THEN
    RETURN QUERY SELECT true, v_actual, ev.transaction_id, ev.global_position FROM events ev
      WHERE ev.stream_name = p_stream ORDER BY ev.revision DESC LIMIT 1;
    IF NOT FOUND THEN
      RETURN QUERY SELECT true, v_actual, NULL::xid8, NULL::bigint;
    END IF;
    RETURN;
  END IF;
  RETURN QUERY
    WITH appended AS (
      INSERT INTO events (stream_name, revision, event_id, type, schema_version, data, metadata)
      SELECT p_stream, v_actual + 1 + e.i, e.id, e.t, e.v, e.d, e.m
      FROM jsonb_to_recordset(p_rows) AS e(i bigint, id uuid, t text, v integer, d jsonb, m jsonb)
      ORDER BY e.i
      RETURNING events.transaction_id, events.global_position
    ), stream AS (
      INSERT INTO streams AS s (stream_name, revision) VALUES (p_stream, v_actual + v_count)
      ON CONFLICT (stream_name) DO UPDATE SET revision = EXCLUDED.revision
    )
    SELECT true, v_actual + v_count, a.transaction_id, max(a.global_position) FROM appended a GROUP BY a.transaction_id;
END
$$;
