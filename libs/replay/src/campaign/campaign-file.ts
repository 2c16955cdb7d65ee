import { stat } from 'node:fs/promises';
import { CampaignConsistency, CampaignEvent, CampaignFileError, parseCampaignLine } from './campaign-line';
import { forEachLine, ReadProgress } from './ndjson-lines';

export interface ReadCampaignOptions {
  onProgress?: (progress: ReadProgress) => void;
  /** Check that no event id appears twice (default true; import needs it, a replay does not). */
  uniqueEventIds?: boolean;
}

/** What a full read of a campaign file found. */
export interface CampaignFileSummary {
  events: number;
  lines: number;
  /** Stream name → number of events, in order of first appearance. */
  streams: Map<string, number>;
}

/**
 * Reads a campaign file line by line, checking every line and the whole-file rules, and hands
 * each event to `onEvent` in file order. The first bad line stops the read with a
 * CampaignFileError naming the file and the line; callers that must not act on a partly
 * valid file (import) read it once to validate before doing anything.
 */
export async function readCampaignFile(
  path: string,
  onEvent: (event: CampaignEvent, lineNumber: number) => void,
  options: ReadCampaignOptions = {},
): Promise<CampaignFileSummary> {
  const totalBytes = (await stat(path)).size;
  const consistency = new CampaignConsistency(options.uniqueEventIds ?? true);
  let events = 0;
  try {
    const lines = await forEachLine(
      path,
      (text, lineNumber) => {
        const event = parseCampaignLine(text, lineNumber);
        consistency.check(event, lineNumber);
        events++;
        onEvent(event, lineNumber);
      },
      { totalBytes, onProgress: options.onProgress },
    );
    return { events, lines, streams: consistency.streams() };
  } catch (e) {
    if (e instanceof CampaignFileError && e.file === undefined) throw new CampaignFileError(e.lineNumber, e.problem, path);
    throw e;
  }
}

/** Reads the whole file and checks it without keeping the events. */
export function validateCampaignFile(path: string, options: ReadCampaignOptions = {}): Promise<CampaignFileSummary> {
  return readCampaignFile(path, () => undefined, options);
}
