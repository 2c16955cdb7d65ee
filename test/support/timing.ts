/**
 * `work` settled within `ms`, or the string saying it did not: a statement queued behind a lock
 * shows as `still waiting after … ms` in the failure instead of a test timeout.
 */
export function within<T>(ms: number, work: Promise<T>): Promise<T | string> {
  return Promise.race([work, new Promise<string>((resolve) => setTimeout(() => resolve(`still waiting after ${ms} ms`), ms).unref())]);
}
