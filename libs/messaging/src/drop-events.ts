import { EVENT_SCHEMA_VERSIONS, upcast } from '@dropline/domain';
import type { EventFilter } from '@dropline/event-store';
import { CeTypeRegistry } from './cloud-events/ce-type';
import { CloudEventCodec } from './cloud-events/cloud-event.codec';

/** Default topic names (configurable). */
export const DEFAULT_DROP_EVENTS_TOPIC = 'dropline.drop-events.v1';
export const DEFAULT_DEAD_LETTER_TOPIC = 'dropline.drop-events.dead-letters.v1';
export const DEFAULT_CE_SOURCE = '/dropline/engine';

/** Every stream category of a drop's events: the lifecycle stream and its side streams. */
export const DROP_EVENTS_FILTER: EventFilter = { streamPrefixes: ['drop-', 'visits-', 'demand-', 'restock-'] };

/** ce_type ↔ stored type for every event of the published contract. */
export const dropCeTypes = new CeTypeRegistry(EVENT_SCHEMA_VERSIONS);

/** The codec of the drop-events topic. */
export function dropEventsCodec(source: string = DEFAULT_CE_SOURCE): CloudEventCodec {
  return new CloudEventCodec({ source, registry: dropCeTypes, upcast });
}
