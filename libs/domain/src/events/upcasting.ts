import { canonicalDefinition, canonicalInstant } from '../drop/drop.definition';
import { EVENT_SCHEMA_VERSIONS } from '../drop/drop.events';

/** Turns the payload of version `n` of an event type into version `n + 1`. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * Upcasters per event type, keyed by the version they read. Old versions are upcast on
 * read and never rewritten in the store, so every step ever registered stays forever.
 */
export class UpcasterRegistry {
  private readonly steps = new Map<string, Map<number, Upcaster>>();

  /** `latestVersions` is the version the code writes today; types not listed are at version 1. */
  constructor(private readonly latestVersions: Readonly<Record<string, number>>) {}

  /** Registers the step `fromVersion` → `fromVersion + 1` of `type`. */
  register(type: string, fromVersion: number, upcaster: Upcaster): this {
    const byVersion = this.steps.get(type) ?? new Map<number, Upcaster>();
    if (byVersion.has(fromVersion)) throw new Error(`Upcaster ${type} v${fromVersion} is already registered`);
    byVersion.set(fromVersion, upcaster);
    this.steps.set(type, byVersion);
    return this;
  }

  /** The version the code writes today for `type`. */
  latestVersion(type: string): number {
    return this.latestVersions[type] ?? 1;
  }

  /** Brings a stored payload of `schemaVersion` to the latest version of its type. */
  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown> {
    const latest = this.latestVersion(type);
    // A version from the future means newer code wrote it: reading it with old code would lose data.
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > latest) {
      throw new Error(`Cannot read ${type} schema version ${schemaVersion}; this code knows up to ${latest}`);
    }
    let current = data;
    for (let version = schemaVersion; version < latest; version++) {
      const step = this.steps.get(type)?.get(version);
      if (!step) throw new Error(`No upcaster for ${type} from version ${version} to ${version + 1}`);
      current = step(current);
    }
    return current;
  }
}

/**
 * ProductionRunCompleted v1 → v2: the id lists become counts. Nothing is lost: v1 lists were
 * computed by the allocation rule (allocateRun) from the events before them, and every reader of
 * v2 applies that rule to the same events; evolve checks its result against these counts.
 */
export function productionRunCompletedV1ToV2(data: Record<string, unknown>): Record<string, unknown> {
  const { coveredPreOrderIds, uncoveredPreOrderIds, ...rest } = data;
  if (!Array.isArray(coveredPreOrderIds) || !Array.isArray(uncoveredPreOrderIds)) {
    throw new Error('ProductionRunCompleted v1 must list coveredPreOrderIds and uncoveredPreOrderIds');
  }
  return { ...rest, coveredPreOrderCount: coveredPreOrderIds.length, uncoveredPreOrderCount: uncoveredPreOrderIds.length };
}

/** The registry of the stored contract (EVENT_SCHEMA_VERSIONS) with every upcaster ever written. */
export const eventUpcasters = new UpcasterRegistry(EVENT_SCHEMA_VERSIONS).register(
  'ProductionRunCompleted',
  1,
  productionRunCompletedV1ToV2,
);

/** The schema version written today for `type` (1 for types this library does not know). */
export function schemaVersionOf(type: string): number {
  return eventUpcasters.latestVersion(type);
}

/**
 * Brings a stored event payload to the latest schema version using `eventUpcasters`, with the
 * instants a definition gives in RFC 3339 form (canonicalDefinition): earlier engines stored a
 * minutes-only `2026-12-01T10:00Z` as given, and every reader (the deciders' folds, the read
 * models, the published messages) reads it as `2026-12-01T10:00:00Z`.
 */
export function upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown> {
  const latest = eventUpcasters.upcast(type, schemaVersion, data);
  switch (type) {
    case 'DropScheduled':
    case 'DropRevised': {
      const definition = canonicalDefinition(latest.definition);
      return definition === latest.definition ? latest : { ...latest, definition };
    }
    case 'AccessPhaseOpened': {
      const opensAt = canonicalInstant(latest.opensAt);
      return opensAt === latest.opensAt ? latest : { ...latest, opensAt };
    }
    default:
      return latest;
  }
}
