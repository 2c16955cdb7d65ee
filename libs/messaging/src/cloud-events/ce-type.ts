/**
 * CloudEvents `type` of a stored event type: `dropline.<subject>.<action>.v<latest version>`,
 * e.g. PreOrderPlaced v1 → `dropline.preorder.placed.v1`.
 *
 * The stored type is PascalCase "subject words + past-tense verb". The verb is the last word,
 * or the last two when it ends in a particle (SoldOut, PickedUp, TurnedAway). The few names
 * that do not follow the pattern are spelled out below; the ce_type is a public contract,
 * so once published an entry here must never change (a new meaning gets a new version).
 */
const OVERRIDES: Readonly<Record<string, string>> = Object.freeze({
  ReadyForPickup: 'preorder.readyforpickup',
});

const PARTICLES = new Set(['Up', 'Out', 'Away', 'Back', 'Down', 'Off']);

/** The `<subject>.<action>` part of the CloudEvents type of a stored event type. */
export function ceTypeStem(storedType: string): string {
  const override = OVERRIDES[storedType];
  if (override) return override;
  const words = storedType.match(/[A-Z][a-z0-9]*/g) ?? [];
  if (words.join('') !== storedType || words.length < 2) {
    throw new Error(`Cannot derive a CloudEvents type from "${storedType}": expected PascalCase subject + verb`);
  }
  const verbWords = words.length > 2 && PARTICLES.has(words[words.length - 1]) ? 2 : 1;
  const subject = words
    .slice(0, words.length - verbWords)
    .join('')
    .toLowerCase();
  const action = words
    .slice(words.length - verbWords)
    .join('')
    .toLowerCase();
  return `${subject}.${action}`;
}

/** `dropline.<subject>.<action>.v<version>`. */
export function ceTypeOf(storedType: string, version: number): string {
  if (!Number.isInteger(version) || version < 1) throw new Error(`Invalid schema version ${version} for ${storedType}`);
  return `dropline.${ceTypeStem(storedType)}.v${version}`;
}

const CE_TYPE = /^dropline\.([a-z0-9]+\.[a-z0-9]+)\.v(\d+)$/;

/** Maps CloudEvents types back to stored types, for the event types this code knows. */
export class CeTypeRegistry {
  private readonly byStem = new Map<string, string>();

  /** `latestVersions`: stored type → the schema version this code writes (EVENT_SCHEMA_VERSIONS). */
  constructor(readonly latestVersions: Readonly<Record<string, number>>) {
    for (const type of Object.keys(latestVersions)) {
      const stem = ceTypeStem(type);
      const clash = this.byStem.get(stem);
      if (clash) throw new Error(`${type} and ${clash} derive the same CloudEvents type ${stem}`);
      this.byStem.set(stem, type);
    }
  }

  /** True when this code knows `storedType`. */
  knows(storedType: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.latestVersions, storedType);
  }

  /** The ce_type published today for a stored type. */
  ceTypeOf(storedType: string): string {
    return ceTypeOf(storedType, this.latestVersions[storedType] ?? 1);
  }

  /**
   * The stored type and version of a ce_type, or undefined when this code cannot read it
   * (unknown subject/action, or a version newer than the one it knows).
   */
  resolve(ceType: string): { storedType: string; version: number } | undefined {
    const match = CE_TYPE.exec(ceType);
    if (!match) return undefined;
    const storedType = this.byStem.get(match[1]);
    if (!storedType) return undefined;
    const version = Number(match[2]);
    if (version < 1 || version > (this.latestVersions[storedType] ?? 1)) return undefined;
    return { storedType, version };
  }

  /** Every known stored type with its current ce_type. */
  entries(): Array<{ storedType: string; version: number; ceType: string }> {
    return Object.entries(this.latestVersions).map(([storedType, version]) => ({
      storedType,
      version,
      ceType: ceTypeOf(storedType, version),
    }));
  }
}
