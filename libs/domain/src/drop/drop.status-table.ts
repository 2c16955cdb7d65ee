import { DomainError } from '../decider';
import type { DropCommand } from './drop.commands';
import type { ExistingDrop } from './drop.state';

/** The status of a drop that exists. */
export type ExistingDropStatus = ExistingDrop['status'];

/** Every status of a drop that exists, in lifecycle order. */
export const EXISTING_DROP_STATUSES: readonly ExistingDropStatus[] = [
  'scheduled',
  'early-access',
  'open',
  'closed',
  'tipped',
  'in-production',
  'fulfilling',
  'completed',
  'cancelled',
];

/**
 * Which statuses let a command decide, which make it a no-op (it returns []), and what every other
 * status answers. A cancelled drop not listed answers DROP.CANCELLED; any other status not listed
 * answers `refused` with `{ dropStatus }` in the details.
 */
export interface StatusRule {
  readonly allowed: readonly ExistingDropStatus[];
  readonly noOp: readonly ExistingDropStatus[];
  readonly refused?: { readonly code: string; readonly message: (dropId: string, status: ExistingDropStatus) => string };
}

const AFTER_OPEN: readonly ExistingDropStatus[] = ['open', 'closed', 'tipped', 'in-production', 'fulfilling', 'completed'];

/** The lifecycle commands' status rules, declared once: the lifecycle decider and its spec read them. */
export const STATUS_TABLE = {
  ReviseDrop: {
    allowed: ['scheduled'],
    noOp: [],
    refused: { code: 'DROP.DEFINITION_LOCKED', message: (dropId) => `Drop ${dropId} can only be revised before it opens` },
  },
  // Announcing only makes sense before the drop is public anyway: opening it announces it.
  AnnounceDrop: { allowed: ['scheduled'], noOp: ['early-access', ...AFTER_OPEN] },
  // Phases open in order; opening one already open (or past) records nothing.
  OpenAccessPhase: { allowed: ['scheduled', 'early-access'], noOp: AFTER_OPEN },
  // Membership matters until the window closes; after that it changes nothing anyone can do.
  AddDropMembers: {
    allowed: ['scheduled', 'early-access', 'open'],
    noOp: [],
    refused: {
      code: 'DROP.MEMBERS_LOCKED',
      message: (dropId, status) => `Drop ${dropId} is ${status}; members change only before it closes`,
    },
  },
  RemoveDropMembers: {
    allowed: ['scheduled', 'early-access', 'open'],
    noOp: [],
    refused: {
      code: 'DROP.MEMBERS_LOCKED',
      message: (dropId, status) => `Drop ${dropId} is ${status}; members change only before it closes`,
    },
  },
  OpenPreOrderWindow: { allowed: ['scheduled', 'early-access'], noOp: AFTER_OPEN },
  // `closed` only decides the tipping point: reachable if a stream holds the close without it.
  ClosePreOrderWindow: {
    allowed: ['scheduled', 'early-access', 'open', 'closed'],
    noOp: ['tipped', 'in-production', 'fulfilling', 'completed', 'cancelled'],
  },
  CancelDrop: {
    allowed: ['scheduled', 'early-access', 'open', 'closed', 'tipped'],
    noOp: ['cancelled'],
    refused: {
      code: 'DROP.CANNOT_CANCEL',
      message: (dropId, status) => `Drop ${dropId} is ${status}; it can only be cancelled before production starts`,
    },
  },
  RequestRefunds: {
    allowed: ['cancelled'],
    noOp: [],
    refused: { code: 'DROP.NOT_CANCELLED', message: (dropId, status) => `Drop ${dropId} is ${status}; bulk refunds follow a cancellation` },
  },
  // Completion itself is decided by completionBlocker once the status allows it.
  CompleteDrop: {
    allowed: ['scheduled', 'early-access', 'open', 'closed', 'tipped', 'in-production', 'fulfilling'],
    noOp: ['completed'],
  },
} as const satisfies Partial<Record<DropCommand['type'], StatusRule>>;

export type StatusRuledCommand = keyof typeof STATUS_TABLE;

/**
 * True when `command` decides in `state`, false when it is a no-op there; throws the table's
 * error for the other statuses.
 */
export function admits(command: StatusRuledCommand, state: ExistingDrop): boolean {
  const rule: StatusRule = STATUS_TABLE[command];
  if (rule.allowed.includes(state.status)) return true;
  if (rule.noOp.includes(state.status)) return false;
  if (state.status === 'cancelled' || !rule.refused)
    throw new DomainError('DROP.CANCELLED', `Drop ${state.dropId} is cancelled`, { dropId: state.dropId });
  throw new DomainError(rule.refused.code, rule.refused.message(state.dropId, state.status), { dropStatus: state.status });
}
