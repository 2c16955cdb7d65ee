// Test-only (not exported from index.ts): the drop events' schema as the engine's DropWriter builds it
// (apps/engine/src/drops/drop-writer.ts), for the writer's specs, which cannot import the app.
import { EVENT_SCHEMA_VERSIONS, upcast } from '@dropline/domain';
import type { EventSchema } from '../envelope';

export const dropEventSchema: EventSchema = {
  versionOf: (type) => (EVENT_SCHEMA_VERSIONS as Record<string, number>)[type] ?? 1,
  upcast: (type, version, data) => upcast(type, version, data) as Record<string, unknown>,
};
