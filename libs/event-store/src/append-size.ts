/** Bytes in a mebibyte: EventStoreDB's default MaxAppendSize is one. */
export const MIB = 1_048_576;

/** UTF-8 length of `value` as JSON.stringify writes it (both adapters send JSON text); throws what JSON.stringify throws. */
export function jsonByteLength(value: unknown): number {
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
}

/** Rejects a limit no append could be sized against (NaN, fractions, zero or less). */
export function assertValidMaxAppendBytes(maxAppendBytes: number): number {
  if (!Number.isSafeInteger(maxAppendBytes) || maxAppendBytes < 1) throw new RangeError(`Invalid maxAppendBytes: ${maxAppendBytes}`);
  return maxAppendBytes;
}
