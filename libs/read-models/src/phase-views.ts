import { accessPhasesOf } from '@dropline/domain';
import type { DropDefinition, PhaseAudience } from '@dropline/domain';

/** Where an access phase stands: ahead, open now, or behind (it opened, or it never will). */
export type PhaseStatus = 'upcoming' | 'open' | 'past';

/** One access phase of a drop as the read-model routes show it (the public window last). */
export interface PhaseView {
  name: string;
  audience: PhaseAudience;
  opensAt: string;
  status: PhaseStatus;
  allocation?: Record<string, number>;
}

/**
 * The drop's access phases from its stored definition (accessPhasesOf: the `earlyAccess`
 * shorthand is one `early-access` phase, the public window is last) and where each stands, from
 * the summary's status and open phase. While a phase is open, the ones before it are past and
 * the ones after it upcoming. With none open, a scheduled drop has every phase ahead of it; any
 * other (closed at its time or at sell-out, cancelled) has none left: a phase it skipped will
 * never open, so it is past rather than upcoming. `withAllocations` adds each phase's units per
 * SKU (staff only).
 */
export function phaseViews(
  definition: DropDefinition,
  summary: { status: string; openPhase: string | null },
  withAllocations = false,
): PhaseView[] {
  const phases = accessPhasesOf(definition);
  const open = summary.openPhase === null ? -1 : phases.findIndex((p) => p.name === summary.openPhase);
  const idle: PhaseStatus = summary.status === 'scheduled' ? 'upcoming' : 'past';
  return phases.map((phase, i) => ({
    name: phase.name,
    audience: phase.audience,
    opensAt: phase.opensAt,
    status: open < 0 ? idle : i < open ? 'past' : i === open ? 'open' : 'upcoming',
    ...(withAllocations && phase.allocation ? { allocation: { ...phase.allocation } } : {}),
  }));
}
