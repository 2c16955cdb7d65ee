import { expand, type Step, fencedBlockAfter, meets, parseExpectation, parseWalkthrough, type Shell, toRequest } from './doc-walkthrough';

const BLOCK = [
  'OPS="Authorization: Bearer <ops token>"   # a comment',
  'ORDER=\'{ "sku": "A" }\'',
  "curl -s localhost:3000/drops -H \"$OPS\" -H 'content-type: application/json' -d '{",
  '  "name": "x" }\'',
  '# → {"dropId":"…"}',
  'curl -s -X POST localhost:3000/drops/$DROP/open -H "$OPS"   # by hand',
  'curl -s "localhost:3000/drops/$DROP/pre-orders" -H "Authorization: Bearer $(npm run -s dropline -- token --role customer --sub bo --city Bristol)" \\',
  '  -H \'Idempotency-Key: b-1\' -d "$ORDER"   # → 409 DROP.PHASE_NOT_OPEN, "phase":"city"',
].join('\n');

const wordsOf = (step: Step) => (step.kind === 'curl' ? step.words : []);

function shell(): Shell & { minted: unknown[] } {
  const minted: unknown[] = [];
  return {
    minted,
    variables: { DROP: 'd-1' },
    token: (role, sub, city) => {
      minted.push([role, sub, city]);
      return `tok-${role}-${sub ?? ''}-${city ?? ''}`;
    },
  };
}

describe('doc walkthrough parsing (unit)', () => {
  it('reads assignments, curl commands over several lines and the answers after them', () => {
    const steps = parseWalkthrough(BLOCK, 10);
    expect(steps.map((s) => [s.kind, s.line, s.kind === 'curl' ? s.expect?.text : s.name])).toEqual([
      ['assign', 10, 'OPS'],
      ['assign', 11, 'ORDER'],
      ['curl', 12, '{"dropId":"…"}'],
      ['curl', 15, undefined],
      ['curl', 16, '409 DROP.PHASE_NOT_OPEN, "phase":"city"'],
    ]);
  });

  it('expands variables, token placeholders and the CLI token command into the requests', () => {
    const steps = parseWalkthrough(BLOCK);
    const sh = shell();
    for (const step of steps) if (step.kind === 'assign') sh.variables[step.name] = expand(step.value, sh);
    const curls = steps.flatMap((s) => (s.kind === 'curl' ? [toRequest(s.words, sh)] : []));
    expect(curls).toEqual([
      {
        method: 'POST',
        path: '/drops',
        headers: { authorization: 'Bearer tok-ops--', 'content-type': 'application/json' },
        body: '{\n  "name": "x" }',
      },
      { method: 'POST', path: '/drops/d-1/open', headers: { authorization: 'Bearer tok-ops--' } },
      {
        method: 'POST',
        path: '/drops/d-1/pre-orders',
        headers: { authorization: 'Bearer tok-customer-bo-Bristol', 'idempotency-key': 'b-1' },
        body: '{ "sku": "A" }',
      },
    ]);
    expect(sh.minted).toEqual([
      ['ops', undefined, undefined],
      ['customer', 'bo', 'Bristol'],
    ]);
  });

  it('refuses what it does not understand rather than skipping it', () => {
    expect(() => parseWalkthrough('jq .dropId')).toThrow(/only NAME=value and curl/);
    expect(() => parseWalkthrough('OPS=1\n# → 201')).toThrow(/follows no curl command/);
    expect(() => parseWalkthrough("curl -s 'localhost:3000/x")).toThrow(/unterminated single quote/);
    const [curl] = parseWalkthrough('curl -s -k localhost:3000/x');
    expect(() => toRequest(wordsOf(curl), shell())).toThrow(/-k is not understood/);
    const [unset] = parseWalkthrough('curl -s localhost:3000/events/$EVENT_ID');
    expect(() => toRequest(wordsOf(unset), shell())).toThrow(/\$EVENT_ID is used before/);
    const [other] = parseWalkthrough('curl -s "$(whoami)"');
    expect(() => toRequest(wordsOf(other), shell())).toThrow(/only the CLI's token command/);
  });

  it('reads the answers as a status, a problem code and the fields shown', () => {
    expect(parseExpectation('201')).toEqual({ text: '201', status: 201 });
    expect(parseExpectation('201 {"sku":"A","total":2500}')).toMatchObject({ status: 201, body: { sku: 'A', total: 2500 } });
    expect(parseExpectation('{"dropId":"…"}')).toMatchObject({ body: { dropId: '…' } });
    expect(parseExpectation('409 DROP.PHASE_NOT_OPEN, "phase":"city"')).toMatchObject({
      status: 409,
      code: 'DROP.PHASE_NOT_OPEN',
      body: { phase: 'city' },
    });
    expect(() => parseExpectation('something else')).toThrow(/cannot read/);
  });

  it('checks an answer against what the document shows', () => {
    expect(meets(undefined, 200, {})).toBeUndefined();
    expect(meets(undefined, 404, {})).toBe('status 404, expected 2xx');
    const expected = parseExpectation('409 DROP.PHASE_NOT_OPEN, "phase":"city"');
    expect(meets(expected, 409, { code: 'DROP.PHASE_NOT_OPEN', phase: 'city', extra: 1 })).toBeUndefined();
    expect(meets(expected, 409, { code: 'DROP.SOLD_OUT', phase: 'city' })).toBe('code DROP.SOLD_OUT, expected DROP.PHASE_NOT_OPEN');
    expect(meets(expected, 409, { code: 'DROP.PHASE_NOT_OPEN', phase: 'public' })).toBe('phase is "public", expected "city"');
    expect(meets(parseExpectation('{"dropId":"…"}'), 201, { dropId: 'x' })).toBeUndefined();
    expect(meets(parseExpectation('{"dropId":"…"}'), 201, {})).toBe('dropId is missing');
  });

  it('finds the block under a heading', () => {
    const markdown = ['# T', '## Try it', 'text', '```sh', 'curl -s localhost:3000/x', '```', '```sh', 'other', '```'].join('\n');
    expect(fencedBlockAfter(markdown, '## Try it')).toEqual({ text: 'curl -s localhost:3000/x', firstLine: 5 });
    expect(() => fencedBlockAfter(markdown, '## Missing')).toThrow(/no heading/);
  });
});
