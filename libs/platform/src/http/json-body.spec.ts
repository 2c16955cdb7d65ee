import fc from 'fast-check';
import { MAX_JSON_DEPTH, refusal, scanJson } from './json-body';
import { PLAIN_TEXT } from './query-params';

/** Nesting depth of a parsed value: a scalar is 0, `[]` and `{}` are 1. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((max, child) => Math.max(max, depthOf(child)), 0);
}

/** `text` as scanJson reads it (length and charCodeAt), counting the characters it reads. */
function counted(text: string): { text: string; reads: () => number } {
  let reads = 0;
  const view = {
    length: text.length,
    charCodeAt: (i: number) => {
      reads++;
      return text.charCodeAt(i);
    },
  };
  return { text: view as unknown as string, reads: () => reads };
}

describe('scanJson', () => {
  it('measures bracket depth outside strings', () => {
    expect(scanJson('1')).toEqual({ ok: true, depth: 0 });
    expect(scanJson('{}')).toEqual({ ok: true, depth: 1 });
    expect(scanJson('{"a":[1,{"b":[]}],"c":{}}')).toEqual({ ok: true, depth: 4 });
    expect(scanJson('"[[[[{{{{"')).toEqual({ ok: true, depth: 0 });
    expect(scanJson('["]\\"[[[", "\\\\", "[\\\\"]')).toEqual({ ok: true, depth: 1 });
    expect(scanJson('[" \\u005b \\" ["]')).toEqual({ ok: true, depth: 1 });
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, 3,000 and 100,000`, () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(scanJson(nested(MAX_JSON_DEPTH))).toEqual({ ok: true, depth: MAX_JSON_DEPTH });
    for (const n of [MAX_JSON_DEPTH + 1, 3_000, 100_000])
      expect(scanJson(nested(n))).toEqual({ ok: false, problem: 'too-deep', depth: MAX_JSON_DEPTH + 1 });
    expect(scanJson('{"a":'.repeat(40) + '1' + '}'.repeat(40))).toMatchObject({ ok: false, problem: 'too-deep' });
    expect(scanJson(nested(5), 4)).toMatchObject({ ok: false, problem: 'too-deep', depth: 5 });
  });

  // Its cost is counted in characters read, not timed: a timed bound fails on a loaded machine and
  // says nothing a count does not (speed is the benchmarks' business).
  it('stops at the first bracket past the limit, whatever follows (cost bounded by the limit, not the body)', () => {
    const body = counted('['.repeat(240 * 1024));
    expect(scanJson(body.text)).toEqual({ ok: false, problem: 'too-deep', depth: MAX_JSON_DEPTH + 1 });
    expect(body.reads()).toBe(MAX_JSON_DEPTH + 1);
  });

  it('scans a 240 KB body within the limit in one pass: each character read at most once', () => {
    const wide = `[${Array((240 * 1024) / 8)
      .fill('"[{x}]"')
      .join(',')}]`;
    expect(wide.length).toBeGreaterThan(200 * 1024);
    const body = counted(wide);
    expect(scanJson(body.text)).toEqual({ ok: true, depth: 1 });
    expect(body.reads()).toBe(wide.length);
    // An escape skips the escaped character: fewer reads, never more.
    const escaped = counted(`["${'\\\\'.repeat(1000)}"]`);
    expect(scanJson(escaped.text)).toEqual({ ok: true, depth: 1 });
    expect(escaped.reads()).toBe(4 + 1000);
  });

  it('agrees with JSON.parse on the depth of any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 40 }), (value) => {
        const text = JSON.stringify(value);
        const expected = depthOf(value);
        const scan = scanJson(text, 1_000);
        expect(scan).toEqual({ ok: true, depth: expected });
      }),
      { numRuns: 500 },
    );
  });

  it('never miscounts strings full of brackets, quotes and backslashes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', '/', 'u', '0') }), { maxLength: 10 }),
        (strings) => {
          expect(scanJson(JSON.stringify({ s: strings }))).toEqual({ ok: true, depth: 2 });
        },
      ),
    );
  });

  it('takes \\u0000 and surrogate escapes as text: the validation pipe refuses them after parsing, naming the field', () => {
    expect(scanJson('{"a":"\\u0000"}')).toEqual({ ok: true, depth: 1 });
    expect(scanJson('["\\ud800", "\\"[[["]')).toEqual({ ok: true, depth: 1 });
    expect(scanJson('"\\ud83d\\ude00 \\u0041 \\u00e9 \\n \\\\u0000"')).toEqual({ ok: true, depth: 0 });
  });

  it('leaves malformed text to the parser', () => {
    expect(scanJson('')).toEqual({ ok: true, depth: 0 });
    expect(scanJson(']]]{')).toEqual({ ok: true, depth: 1 });
    expect(scanJson('"\\uZZZZ"')).toEqual({ ok: true, depth: 0 });
    expect(scanJson('"unterminated [[[')).toEqual({ ok: true, depth: 0 });
  });

  it('refuses with a REQUEST.TOO_DEEP problem', () => {
    expect(refusal({ ok: false, problem: 'too-deep', depth: 33 }).getResponse()).toMatchObject({
      status: 400,
      code: 'REQUEST.TOO_DEEP',
      maxDepth: 32,
    });
  });
});

describe('PLAIN_TEXT', () => {
  it('takes any printable text and refuses control characters and unpaired surrogates', () => {
    for (const ok of ['', 'Bristol', 'Saint-Étienne', '東京', 'São Paulo 😀', '%00', 'a\u00a0b']) expect(PLAIN_TEXT.test(ok)).toBe(true);
    for (const bad of ['\u0000', 'a\u0000', '\n', '\t', '\u001b[31m', '\u007f', '\u0085', 'x\ud800', '\udfffx', '\ud83d'])
      expect(PLAIN_TEXT.test(bad)).toBe(false);
  });
});
