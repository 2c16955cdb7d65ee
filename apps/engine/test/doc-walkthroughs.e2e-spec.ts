import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mintTestToken } from '../../../libs/platform/src/testing/test-auth';
import { expand, fencedBlockAfter, meets, parseWalkthrough, type Shell, toRequest } from './support/doc-walkthrough';
import { type EngineProcess, startEngineProcess } from './support/engine-process';

/**
 * The documents' curl walkthroughs, sent as written to the built engine on the embedded default
 * with the real clock (its scheduler running), as a newcomer sends them after `npm start`: every
 * request answers 2xx unless the document says otherwise, and every `# → …` answer holds. A
 * walkthrough whose dates have passed, or whose answers the engine no longer gives, fails here.
 */
const ROOT = path.resolve(__dirname, '../../..');
const WALKTHROUGHS = [
  { document: 'README.md', heading: '## Try it' },
  { document: 'docs/community.md', heading: '## With curl' },
];

describe('the documents’ curl walkthroughs against npm start’s engine', () => {
  let dataDir: string;
  let engine: EngineProcess;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dropline-docs-'));
    engine = await startEngineProcess({ DATA_DIR: dataDir }, { startTimeoutMs: 120_000 });
  }, 150_000);
  afterAll(async () => {
    await engine?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(WALKTHROUGHS)(
    '$document, "$heading": every answer is the one the document shows',
    async ({ document, heading }) => {
      const { text, firstLine } = fencedBlockAfter(readFileSync(path.join(ROOT, document), 'utf8'), heading);
      const steps = parseWalkthrough(text, firstLine);
      const shell: Shell = {
        variables: {},
        token: (role, sub, city) => mintTestToken([role], sub ?? `walkthrough-${role}`, city ? { claims: { city } } : {}),
      };
      // An instant that has passed is acted on by the scheduler while the reader follows the
      // walkthrough (a phase opens, a window closes), and a passed closesAt is refused outright.
      const passed = steps
        .flatMap((s) => (s.kind === 'curl' ? s.words : [s.value]))
        .flatMap(
          (w) =>
            w
              .map((segment) => segment.text)
              .join('')
              .match(/\d{4}-\d\d-\d\dT[\d:.]+Z/g) ?? [],
        )
        .filter((instant) => Date.parse(instant) <= Date.now());
      expect(passed).toEqual([]);
      const answers: string[] = [];
      for (const step of steps) {
        if (step.kind === 'assign') {
          shell.variables[step.name] = expand(step.value, shell);
          continue;
        }
        const request = toRequest(step.words, shell);
        const send = async () => {
          const res = await fetch(`${engine.url}${request.path}`, {
            method: request.method,
            headers: request.headers,
            ...(request.body === undefined ? {} : { body: request.body }),
          });
          const body: unknown = (res.headers.get('content-type') ?? '').includes('json') ? await res.json() : await res.text();
          return { status: res.status, body, problem: meets(step.expect, res.status, body) };
        };
        let { status, body, problem } = await send();
        // The reads answer from read models, which follow the log a moment behind (docs/operations.md):
        // a reader who types the next command is slower than that; a read is retried for up to 5 s.
        for (const start = Date.now(); problem && request.method === 'GET' && Date.now() - start < 5_000;) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          ({ status, body, problem } = await send());
        }
        answers.push(
          `${document}:${step.line} ${request.method} ${request.path} → ${status}${problem ? `: ${problem} ${JSON.stringify(body)}` : ''}`,
        );
        if (problem) break;
        // What a reader takes from one answer into the next commands: the new drop's id, an event's id.
        const answer = body as { dropId?: string; events?: { eventId: string }[] };
        if (request.method === 'POST' && request.path === '/drops') shell.variables.DROP = answer.dropId!;
        if (answer.events?.length && !shell.variables.EVENT_ID) shell.variables.EVENT_ID = answer.events[0].eventId;
      }
      expect(answers.filter((a) => a.includes(': '))).toEqual([]);
      expect(steps.filter((s) => s.kind === 'curl').length).toBe(answers.length);
    },
    60_000,
  );
});
