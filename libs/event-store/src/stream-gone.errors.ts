/**
 * A stream whose history the store can no longer give in full. Folding what is left would
 * produce a wrong state silently, so readers and writers get these instead (over HTTP:
 * 410 STREAM.DELETED and 500 STREAM.TRUNCATED, see libs/platform/src/http/problem.filter.ts).
 */

/** The stream was tombstoned (hard-deleted): it can never be read or written again. */
export class StreamDeletedError extends Error {
  readonly code = 'STREAM.DELETED';
  constructor(
    readonly streamName: string,
    override readonly cause?: unknown,
  ) {
    super(`Stream ${streamName} was deleted (tombstoned) and can never be written again`);
    this.name = 'StreamDeletedError';
  }
}

/**
 * The stream's first events are gone: truncated by `$maxCount`, `$maxAge` or `$tb` (a soft
 * delete) and scavenged, so a read from revision `expectedFrom` began at `firstRevision`.
 */
export class StreamTruncatedError extends Error {
  readonly code = 'STREAM.TRUNCATED';
  constructor(
    readonly streamName: string,
    readonly expectedFrom: number,
    readonly firstRevision: number,
  ) {
    super(
      `Stream ${streamName} is truncated: a read from revision ${expectedFrom} began at revision ${firstRevision} ` +
        '(events removed by $maxCount, $maxAge or a soft delete); its state cannot be rebuilt',
    );
    this.name = 'StreamTruncatedError';
  }
}
