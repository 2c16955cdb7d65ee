// Test-only helpers (not exported from index.ts): given(events) / when(command) / then(events | error).
import { DomainError } from '../decider';
import type { DropCommand } from '../drop/drop.commands';
import { decide, evolve, foldDrop, initialState } from '../drop/drop.decider';
import type { DropEvent } from '../drop/drop.events';
import type { DropState } from '../drop/drop.state';

/** Decides `command` against the state folded from `history`; returns the thrown error, if any. */
function attempt(history: DropEvent[], command: DropCommand): { events?: DropEvent[]; error?: unknown } {
  try {
    return { events: decide(command, foldDrop(history)) };
  } catch (error) {
    return { error };
  }
}

/** given(...events).when(command).then(events) / .thenRejects(code, details?). */
export function given(...history: DropEvent[]) {
  return {
    when(command: DropCommand) {
      return {
        then(expected: DropEvent[]): void {
          const outcome = attempt(history, command);
          if (outcome.error) throw outcome.error;
          expect(outcome.events).toEqual(expected);
        },
        thenRejects(code: string, details?: Record<string, unknown>): void {
          const outcome = attempt(history, command);
          if (!outcome.error) throw new Error(`Expected ${code}, got events ${JSON.stringify(outcome.events?.map((e) => e.type))}`);
          expect(outcome.error).toBeInstanceOf(DomainError);
          const error = outcome.error as DomainError;
          expect(error.code).toBe(code);
          if (details) expect(error.details).toMatchObject(details);
        },
        /** For assertions on part of the events (e.g. long coverage lists). */
        events(): DropEvent[] {
          const outcome = attempt(history, command);
          if (outcome.error) throw outcome.error;
          return outcome.events ?? [];
        },
      };
    },
  };
}

/** Runs commands through the real decider and returns every event they caused, in order. */
export function eventsOf(...commands: DropCommand[]): DropEvent[] {
  let state: DropState = initialState();
  const all: DropEvent[] = [];
  for (const command of commands) {
    for (const event of decide(command, state)) {
      state = evolve(state, event);
      all.push(event);
    }
  }
  return all;
}

/** What one command of a batch got: its events, or the DomainError that refused it. */
export type Outcome = { events: DropEvent[] } | { code: string; details: Record<string, unknown> };

/**
 * Decides `commands` in turn against one state evolving from `history`, as the per-stream batching
 * writer does: each command sees the events of those before it; a refused one records its error and
 * changes nothing. Errors other than DomainError fail the test.
 */
export function outcomesOf(history: DropEvent[], ...commands: DropCommand[]): { outcomes: Outcome[]; state: DropState } {
  let state = foldDrop(history);
  const outcomes: Outcome[] = [];
  for (const command of commands) {
    let events: DropEvent[];
    try {
      events = decide(command, state);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      outcomes.push({ code: error.code, details: error.details });
      continue;
    }
    for (const event of events) state = evolve(state, event);
    outcomes.push({ events });
  }
  return { outcomes, state };
}
