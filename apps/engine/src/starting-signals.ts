/**
 * Takes SIGTERM and SIGINT from the first moment of the engine's process: main.ts imports this
 * before any other module, so a stop asked for while the modules load (a second or more) is
 * kept for main to act on instead of killing the process with 143. A second signal while
 * starting exits 1 at once, unless it is the first one's echo (within a second).
 */
export const startingSignals: {
  /** The first signal received while starting. */
  received: NodeJS.Signals | undefined;
  /** Told about it once main is ready to log it. */
  onSignal: ((signal: NodeJS.Signals) => void) | undefined;
} = { received: undefined, onSignal: undefined };

/** A repeat this soon after the first is its echo (Ctrl-C on `npm start` reaches the engine from the terminal and from npm). */
const ECHO_MS = 1_000;
let receivedAt = 0;

const listener = (signal: NodeJS.Signals): void => {
  if (startingSignals.received) {
    if (Date.now() - receivedAt < ECHO_MS) return;
    process.exit(1);
  }
  startingSignals.received = signal;
  receivedAt = Date.now();
  startingSignals.onSignal?.(signal);
};
process.on('SIGTERM', listener);
process.on('SIGINT', listener);

/**
 * Stops taking signals here. Call it only once the running engine's own listeners are on: a
 * signal that arrived while the event loop was busy is delivered when it next turns, to the
 * listeners present then; with none at all for a moment, Node stops watching the signal and such
 * a pending signal is lost.
 */
export function stopTakingStartingSignals(): void {
  process.off('SIGTERM', listener);
  process.off('SIGINT', listener);
}
