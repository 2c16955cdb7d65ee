/** The few log calls the adapters make; pass the app's logger (NestJS Logger fits) or keep the console default. */
export interface EventStoreLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/** Console logger used when the caller does not pass one. */
export const consoleEventStoreLogger: EventStoreLogger = {
  /* eslint-disable no-console -- the default sink outside Nest (CLI, scripts); Nest apps pass their Logger */
  log: (message) => console.log(`[event-store] ${message}`),
  warn: (message) => console.warn(`[event-store] ${message}`),
  error: (message, error) => console.error(`[event-store] ${message}`, error ?? ''),
  /* eslint-enable no-console */
};
