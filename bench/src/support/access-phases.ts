import { DomainError, MAX_MEMBERS_PER_COMMAND, preOrderIdFor } from '@dropline/domain';
import type { DropDefinition, PhaseAudience, PlacePreOrder } from '@dropline/domain';
import type { CommandBus } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { AddDropMembersCommand } from '../../../apps/engine/src/drops/add-drop-members/add-drop-members.command';
import { OpenAccessPhaseCommand } from '../../../apps/engine/src/drops/open-access-phase/open-access-phase.command';
import { OpenPreOrderWindowCommand } from '../../../apps/engine/src/drops/open-pre-order-window/open-pre-order-window.command';
import { ScheduleDropCommand } from '../../../apps/engine/src/drops/schedule-drop/schedule-drop.command';
import { PlacePreOrderCommand } from '../../../apps/engine/src/pre-orders/place-pre-order/place-pre-order.command';
import { benchContext, HOT_SKU, hotDropDefinition } from './drops';
import { BENCH_NOW, BENCH_OPENS_AT, InProcessEngine } from './engine';

// The four-phase hot drop of hot-drop --variant phases (issue 17): members → repeat customers →
// the city → everyone, the first three with an allocation of the one SKU, buyers of every audience
// racing each phase, the phases opened during the race as the scheduler opens them.

/** The drop's city (the `city` phase's audience: this claim, or a pickup at the drop's location). */
export const PHASED_CITY = 'Bristol';
const PICKUP_LOCATION = 'popup-bench';
const DAY_MS = 86_400_000;

interface PhaseSpec {
  name: string;
  audience: PhaseAudience;
  /** Units reserved for the phase, as a share of the cap. */
  allocationShare?: number;
  /**
   * The bench opens the next phase once this phase has sold this share of the cap (what is left of
   * its allocation rolls forward); without it, once the phase's allocation is exhausted (the first
   * DROP.ALLOCATION_EXHAUSTED), so both ways of moving on are on the hot path.
   */
  openNextAtShare?: number;
  /** Customer-id prefix of the buyers whose earliest phase this is (how the history check knows them). */
  prefix: string;
  /**
   * The buyers who come while the phase is open, in percent per audience rank (index of their
   * earliest phase); the rest (2 %) are buyers of a later phase, who must be refused.
   */
  mix: readonly number[];
}

const PHASES: readonly PhaseSpec[] = [
  { name: 'members', audience: 'members', allocationShare: 0.25, openNextAtShare: 0.2, prefix: 'm', mix: [98] },
  { name: 'repeat', audience: 'repeat-customers', allocationShare: 0.15, prefix: 'r', mix: [30, 68] },
  { name: 'city', audience: 'city', allocationShare: 0.2, openNextAtShare: 0.15, prefix: 'l', mix: [20, 20, 58] },
  { name: 'public', audience: 'everyone', prefix: 'p', mix: [15, 15, 20, 50] },
];
const PUBLIC = PHASES.length - 1;

/** Units a phase reserves (its allocation of the one SKU); undefined for the public window. */
function allocationOf(phase: number, cap: number): number | undefined {
  const share = PHASES[phase].allocationShare;
  return share === undefined ? undefined : Math.floor(cap * share);
}

/** When each phase opens: a day apart, the public window last at BENCH_OPENS_AT. */
const OPENS_AT = PHASES.map((_, i) => new Date(Date.parse(BENCH_OPENS_AT) - (PUBLIC - i) * DAY_MS).toISOString());

/** The instant the buyers of each phase decide at: an hour into it, the public window at BENCH_NOW as in the single-window run. */
const BUYING_AT = PHASES.map((_, i) => (i === PUBLIC ? BENCH_NOW : new Date(Date.parse(OPENS_AT[i]) + 3_600_000).toISOString()));

/** The single-window hot drop with a city, a pickup location and the four phases. */
export function fourPhaseDropDefinition(cap: number): DropDefinition {
  return {
    ...hotDropDefinition(cap, BENCH_OPENS_AT),
    name: 'Bench hot drop, four phases',
    city: PHASED_CITY,
    pickupLocations: [{ locationId: PICKUP_LOCATION, discountPercent: 10 }],
    phases: PHASES.map((p, i) => {
      const units = allocationOf(i, cap);
      return {
        name: p.name,
        opensAt: OPENS_AT[i],
        audience: p.audience,
        ...(units === undefined ? {} : { allocation: { [HOT_SKU]: units } }),
      };
    }),
  };
}

/** One line of the plan for the docs and the notes. */
export function describePhases(cap: number): string {
  return PHASES.map((p, i) => {
    const units = allocationOf(i, cap);
    const next =
      i === PUBLIC
        ? 'until sold out'
        : p.openNextAtShare === undefined
          ? 'until its allocation is gone'
          : `until ${p.openNextAtShare * 100}% of the cap sold in it`;
    return `${p.name} (${p.audience}${units === undefined ? '' : `, ${units.toLocaleString('en-US')} reserved`}, ${next})`;
  }).join(' → ');
}

/**
 * Schedules the four-phase drop, adds `members` members in commands of MAX_MEMBERS_PER_COMMAND
 * as ops would, and opens the members phase the way the scheduler does (at its time), all
 * before the clock starts: the single-window run's drop is open before its clock starts too.
 * AddDropMembers goes through its command slice on the CommandBus (POST /drops/:id/members's path).
 */
export async function openFourPhaseDrop(engine: InProcessEngine, dropId: string, cap: number, members: number): Promise<void> {
  const scheduledAt = new Date(Date.parse(OPENS_AT[0]) - DAY_MS).toISOString();
  await engine.bus.execute(new ScheduleDropCommand({ dropId, definition: fourPhaseDropDefinition(cap) }, benchContext(scheduledAt)));
  for (let from = 0; from < members; from += MAX_MEMBERS_PER_COMMAND) {
    const customerIds = Array.from({ length: Math.min(MAX_MEMBERS_PER_COMMAND, members - from) }, (_, i) => memberId(from + i));
    await engine.bus.execute(
      new AddDropMembersCommand({ dropId, customerIds, actor: { subject: 'bench-ops', roles: ['ops'] } }, benchContext(scheduledAt)),
    );
  }
  await engine.bus.execute(new OpenAccessPhaseCommand({ dropId, phase: PHASES[0].name }, benchContext(OPENS_AT[0])));
}

const memberId = (i: number) => `${PHASES[0].prefix}-${i}`;

/** What the buyers loop asks of a plan: the next attempt, and what to make of its answer. */
export interface BuyerPlan<T> {
  next(n: number, buyer: number): { message: PlacePreOrderCommand; tag: T };
  accepted(tag: T): void;
  /** True when the refusal is an answer the plan expects (counted by code); false makes it an error. */
  refused(tag: T, error: DomainError): boolean;
  /** Set when the plan cannot go on (a phase failed to open): the buyers stop. */
  readonly failure: string | undefined;
}

/** A phased attempt: the buyer's audience rank (index of their earliest phase) and the phase open when it was sent. */
interface Sent {
  rank: number;
  phase: number;
}

/**
 * The buyers of the four-phase drop and the conductor that opens its phases. Every attempt is a
 * new customer (members cycle through the member list), drawn from the open phase's mix; the
 * next phase opens from the buyers' own answers, through OpenAccessPhase (OpenPreOrderWindow for
 * the public window) on the CommandBus, in the same writer batches as the purchases around it.
 */
export class PhasedBuyers implements BuyerPlan<Sent> {
  /** Index of the phase the buyers believe open (moves once its opening is stored). */
  private phase = 0;
  private opening = false;
  private soldInPhase = 0;
  private memberCursor = 0;
  private readonly started = performance.now();
  failure: string | undefined;
  /** Refusals by code (DROP.SOLD_OUT is counted by the buyers loop). */
  readonly refusals: Record<string, number> = {};
  /** Buyers refused as "not your phase yet" although the open phase admits them: must stay 0. */
  eligibleRefused = 0;
  /** "Not your phase yet" answers that name the wrong phase for the buyer: must stay 0. */
  wrongPhaseNamed = 0;
  firstViolation: string | undefined;
  /** Seconds into the run at which each phase after the first was open (stored). */
  readonly openedAtS: Record<string, number> = {};

  constructor(
    private readonly bus: CommandBus,
    private readonly dropId: string,
    private readonly cap: number,
    private readonly members: number,
  ) {}

  next(n: number, buyer: number): { message: PlacePreOrderCommand; tag: Sent } {
    const phase = this.phase;
    const rank = this.rankFor(phase, n);
    // A new customer per attempt shaped like the single-window run's (`c-<buyer>-<n>`), members from the list.
    const customerId = rank === 0 ? memberId(this.memberCursor++ % this.members) : `${PHASES[rank].prefix}-${buyer}-${n}`;
    const key = `k-${n}`;
    // City buyers: one in four picks up at the drop's location (no claim), the others carry the claim;
    // half the public buyers carry another city's claim, which the city phase does not admit.
    const pickup = rank === 2 && n % 4 === 0;
    const buyerCity = rank === 2 && !pickup ? PHASED_CITY : rank === PUBLIC && n % 2 === 0 ? 'Leeds' : undefined;
    const fields: Omit<PlacePreOrder, 'type' | 'now'> = {
      dropId: this.dropId,
      preOrderId: preOrderIdFor(this.dropId, customerId, key),
      customerId,
      sku: HOT_SKU,
      quantity: 1,
      channel: 'web',
      fulfillment: pickup ? { method: 'pickup', locationId: PICKUP_LOCATION } : { method: 'ship' },
      isRepeatCustomer: rank === 1,
      idempotencyFingerprint: `${customerId}/1`,
      ...(buyerCity === undefined ? {} : { buyerCity }),
    };
    return { message: new PlacePreOrderCommand(fields, benchContext(BUYING_AT[phase])), tag: { rank, phase } };
  }

  accepted(tag: Sent): void {
    if (tag.phase !== this.phase) return;
    this.soldInPhase++;
    const share = PHASES[this.phase].openNextAtShare;
    if (share !== undefined && this.soldInPhase >= Math.floor(this.cap * share)) this.openNext();
  }

  refused(tag: Sent, error: DomainError): boolean {
    switch (error.code) {
      case 'DROP.ALLOCATION_EXHAUSTED':
        if (tag.phase === this.phase) this.openNext();
        break;
      case 'DROP.PHASE_NOT_OPEN':
      case 'DROP.EARLY_ACCESS_ONLY': {
        // Phases only widen: a buyer the phase open at sending admitted is admitted by every later one.
        if (tag.rank <= tag.phase) this.violation('eligibleRefused', `${error.code} for a buyer of rank ${tag.rank} in phase ${tag.phase}`);
        // The answer names the buyer's earliest phase, and EARLY_ACCESS_ONLY is the repeat-customers phase's code.
        const openPhase = PHASES.findIndex((p) => p.name === error.details.openPhase);
        const rightCode = PHASES[openPhase]?.audience === 'repeat-customers' ? 'DROP.EARLY_ACCESS_ONLY' : 'DROP.PHASE_NOT_OPEN';
        if (error.details.phase !== PHASES[tag.rank].name || error.code !== rightCode)
          this.violation('wrongPhaseNamed', `${error.code} naming ${String(error.details.phase)} for rank ${tag.rank}`);
        break;
      }
      default:
        return false;
    }
    this.refusals[error.code] = (this.refusals[error.code] ?? 0) + 1;
    return true;
  }

  /** Audience rank of attempt `n` while `phase` is open: the phase's mix, else a buyer of a later phase. */
  private rankFor(phase: number, n: number): number {
    let bucket = n % 100;
    const mix = PHASES[phase].mix;
    for (let rank = 0; rank < mix.length; rank++) {
      if (bucket < mix[rank]) return rank;
      bucket -= mix[rank];
    }
    // Too early: one of the audiences of the phases after this one, in turn.
    return phase + 1 + (Math.floor(n / 100) % (PUBLIC - phase));
  }

  private violation(kind: 'eligibleRefused' | 'wrongPhaseNamed', what: string): void {
    this[kind]++;
    this.firstViolation ??= what;
  }

  /** Opens the phase after the open one (at its time, as the scheduler does), once. */
  private openNext(): void {
    if (this.opening || this.phase === PUBLIC) return;
    this.opening = true;
    const next = this.phase + 1;
    const context = benchContext(OPENS_AT[next]);
    const opened =
      next === PUBLIC
        ? this.bus.execute(new OpenPreOrderWindowCommand({ dropId: this.dropId }, context))
        : this.bus.execute(new OpenAccessPhaseCommand({ dropId: this.dropId, phase: PHASES[next].name }, context));
    opened.then(
      () => {
        this.openedAtS[PHASES[next].name] = (performance.now() - this.started) / 1000;
        this.phase = next;
        this.soldInPhase = 0;
        this.opening = false;
      },
      (e: unknown) => {
        this.failure = `opening ${PHASES[next].name} failed: ${e instanceof Error ? e.message : String(e)}`;
      },
    );
  }
}

/** What the stored stream of a four-phase run says, phase by phase. */
export interface PhasedHistory {
  phases: Array<{ name: string; units: number; allocation?: number; rolledIn?: number; trigger?: string }>;
  /** Pre-orders whose buyer's earliest phase opened after the phase they were placed in. */
  servedEarly: number;
  /** Phases that sold more than their allocation plus what rolled into them. */
  overAllocated: string[];
  /** Phases whose recorded roll-over is not what the phase before them left. */
  wrongRollOver: string[];
  /** Access phases without their own AccessPhaseOpened at their time (trigger `schedule`). */
  notOpenedOnTime: string[];
}

/**
 * Reads the drop's stream back in revision order from the database and checks it against the
 * plan: no buyer served before their phase, no phase past its allocation plus roll-over, each
 * roll-over what the phase before left, each access phase opened by its own event at its time.
 */
export async function phasedHistory(pool: Pool, streamName: string, cap: number): Promise<PhasedHistory> {
  const { rows } = await pool.query<{
    type: string;
    customer: string | null;
    quantity: number | null;
    phase: string | null;
    trigger: string | null;
    rolled: number | null;
  }>(
    `SELECT type, data->>'customerId' AS customer, (data->>'quantity')::int AS quantity, data->>'phase' AS phase,
            data->>'trigger' AS trigger, (data->'rolledOver'->>'${HOT_SKU}')::int AS rolled
       FROM events WHERE stream_name = $1 AND type IN ('PreOrderPlaced', 'AccessPhaseOpened', 'PreOrderWindowOpened') ORDER BY revision`,
    [streamName],
  );
  const rankOf = new Map(PHASES.map((p, i) => [p.prefix, i]));
  const phases: PhasedHistory['phases'] = PHASES.map((p, i) => {
    const allocation = allocationOf(i, cap);
    return { name: p.name, units: 0, ...(allocation === undefined ? {} : { allocation }) };
  });
  const out: PhasedHistory = { phases, servedEarly: 0, overAllocated: [], wrongRollOver: [], notOpenedOnTime: [] };
  let open = -1;
  for (const row of rows) {
    if (row.type === 'PreOrderPlaced') {
      const rank = rankOf.get(row.customer?.split('-')[0] ?? '') ?? PUBLIC;
      if (open < 0 || rank > open) out.servedEarly++;
      if (open >= 0) phases[open].units += row.quantity ?? 0;
      continue;
    }
    const next = row.type === 'PreOrderWindowOpened' ? PUBLIC : PHASES.findIndex((p) => p.name === row.phase);
    if (next < 0) throw new Error(`${streamName}: AccessPhaseOpened for a phase the plan does not have (${String(row.phase)})`);
    if (row.type === 'AccessPhaseOpened') {
      phases[next].trigger = row.trigger ?? undefined;
      if (next > 0) {
        phases[next].rolledIn = row.rolled ?? 0;
        const before = phases[next - 1];
        const left = before.allocation === undefined ? 0 : before.allocation + (before.rolledIn ?? 0) - before.units;
        if (phases[next].allocation !== undefined && phases[next].rolledIn !== left) out.wrongRollOver.push(phases[next].name);
      }
    }
    open = next;
  }
  for (const p of phases) if (p.allocation !== undefined && p.units > p.allocation + (p.rolledIn ?? 0)) out.overAllocated.push(p.name);
  for (const p of phases.slice(0, PUBLIC)) if (p.trigger !== 'schedule') out.notOpenedOnTime.push(p.name);
  return out;
}
