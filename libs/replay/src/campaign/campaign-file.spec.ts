import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handMadeCampaign } from '../testing/hand-made-campaign';
import { CampaignFileError, toCampaignLine } from './campaign-line';
import { readCampaignFile, validateCampaignFile } from './campaign-file';

describe('campaign file validation', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dropline-campaign-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, lines: string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const good = (): string[] => handMadeCampaign().map(toCampaignLine);
  const failure = async (path: string): Promise<CampaignFileError> => {
    const error = await validateCampaignFile(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CampaignFileError);
    return error as CampaignFileError;
  };

  it('reads a whole export, every stream counted', async () => {
    const summary = await validateCampaignFile(write('good.ndjson', good()));
    expect(summary.events).toBe(handMadeCampaign().length);
    expect([...summary.streams.keys()]).toEqual(['drop-hand-1', 'demand-hand-1']);
  });

  it('names the line of malformed JSON and stops there', async () => {
    const lines = good();
    lines[6] = lines[6].slice(0, -3); // cut the closing braces of line 7
    const seen: number[] = [];
    const error = await readCampaignFile(write('cut.ndjson', lines), (_, n) => seen.push(n)).then(
      () => undefined,
      (e: unknown) => e as CampaignFileError,
    );
    expect(error).toBeInstanceOf(CampaignFileError);
    expect(error!.lineNumber).toBe(7);
    expect(error!.message).toMatch(/cut\.ndjson:7: not valid JSON/);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts blank lines so the number matches an editor, and tolerates CRLF', async () => {
    const lines = good();
    const withBlank = [...lines.slice(0, 2), '', ...lines.slice(2)].map((l) => `${l}\r`);
    withBlank[5] = '{"streamName":"drop-hand-1"}\r';
    const error = await failure(write('blank.ndjson', withBlank));
    expect(error.lineNumber).toBe(6);
    expect(error.problem).toMatch(/revision/);
  });

  it.each([
    ['a missing envelope field', (e: Record<string, unknown>) => delete e.eventId, /eventId must be a UUID/],
    ['a bad instant', (e: Record<string, unknown>) => (e.recordedAt = 'yesterday'), /recordedAt/],
    ['a schema version from the future', (e: Record<string, unknown>) => (e.schemaVersion = 99), /newer than this code knows/],
    ['a stream without a category', (e: Record<string, unknown>) => (e.streamName = 'hand1'), /streamName/],
    ['metadata without an actor', (e: Record<string, unknown>) => delete (e.metadata as Record<string, unknown>).actor, /metadata\.actor/],
  ])('rejects %s on its line', async (_, mutate, message) => {
    const lines = good();
    const event = JSON.parse(lines[3]);
    mutate(event);
    lines[3] = JSON.stringify(event);
    const error = await failure(write('field.ndjson', lines));
    expect(error.lineNumber).toBe(4);
    expect(error.problem).toMatch(message);
  });

  it('rejects a gap in a stream and a duplicated event id', async () => {
    const gap = good();
    gap.splice(3, 1); // drop-hand-1 revision 3 goes missing
    expect((await failure(write('gap.ndjson', gap))).problem).toMatch(/drop-hand-1 revision 4 where 3 was expected/);

    const dup = good();
    const copy = JSON.parse(dup[2]);
    const last = JSON.parse(dup[dup.length - 1]);
    dup.push(JSON.stringify({ ...last, revision: last.revision + 1, eventId: copy.eventId }));
    const error = await failure(write('dup.ndjson', dup));
    expect(error.lineNumber).toBe(dup.length);
    expect(error.problem).toMatch(/already used on line 3/);
  });
});
