/**
 * Reads a curl walkthrough out of a Markdown document (README.md, docs/community.md) so that a test
 * can send its requests to a running engine and check the answers the document promises.
 *
 * It understands the shell the walkthroughs are written in, and no more: `NAME=value` assignments,
 * `curl -s [-X METHOD] URL [-H header]… [-d body]`, single and double quotes (a single-quoted body
 * may span lines), `$NAME` and `$(npm run -s dropline -- token …)` in double quotes and bare words,
 * backslash-newline, and `#` comments. A comment that starts with `→` states the answer of the
 * command before it: `# → 201`, `# → {"dropId":"…"}`, `# → 409 DROP.PHASE_NOT_OPEN, "phase":"city"`.
 * Anything else in a block is an error, so that a walkthrough cannot drift into something the test
 * silently skips.
 */

/** One piece of a shell word and how it was quoted (quoting decides what is expanded). */
export interface Segment {
  text: string;
  quote: 'none' | 'single' | 'double';
}
export type Word = Segment[];

/** What a document says a command answers. */
export interface Expectation {
  status?: number;
  code?: string;
  /** Fields the answer's JSON body holds; the value "…" stands for any value. */
  body?: Record<string, unknown>;
  /** The expectation as written, for messages. */
  text: string;
}

export type Step =
  { kind: 'assign'; name: string; value: Word; line: number } | { kind: 'curl'; words: Word[]; expect?: Expectation; line: number };

/** The body of the first fenced block of `language` after the heading `heading` (exact line). */
export function fencedBlockAfter(markdown: string, heading: string, language = 'sh'): { text: string; firstLine: number } {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === heading);
  if (at < 0) throw new Error(`no heading "${heading}"`);
  const open = lines.findIndex((l, i) => i > at && l.trim() === '```' + language);
  const close = lines.findIndex((l, i) => i > open && l.trim() === '```');
  if (open < 0 || close < 0) throw new Error(`no \`\`\`${language} block after "${heading}"`);
  return { text: lines.slice(open + 1, close).join('\n'), firstLine: open + 2 };
}

/** Parses a walkthrough block into its steps, the expected answers attached to their commands. */
export function parseWalkthrough(block: string, firstLine = 1): Step[] {
  const steps: Step[] = [];
  let i = 0;
  let line = firstLine;
  let words: Word[] = [];
  let word: Word | undefined;
  let commandLine = line;
  const push = (text: string, quote: Segment['quote']) => {
    word ??= [];
    const last = word[word.length - 1];
    if (last && last.quote === quote) last.text += text;
    else word.push({ text, quote });
  };
  const endWord = () => {
    if (word) words.push(word);
    word = undefined;
  };
  const endCommand = (comment?: string) => {
    endWord();
    if (words.length > 0) steps.push(toStep(words, commandLine));
    words = [];
    const arrow = comment?.trim().match(/^→\s*(.*)$/);
    if (arrow) {
      const last = steps[steps.length - 1];
      if (!last || last.kind !== 'curl') throw new Error(`line ${line}: "→ ${arrow[1]}" follows no curl command`);
      if (last.expect) throw new Error(`line ${line}: a second expectation for the command of line ${last.line}`);
      last.expect = parseExpectation(arrow[1]);
    }
  };
  while (i < block.length) {
    const c = block[i];
    if (words.length === 0 && !word) commandLine = line;
    if (c === '\n') {
      line++;
      endCommand();
      i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\\' && block[i + 1] === '\n') {
      endWord();
      line++;
      i += 2;
    } else if (c === '#' && !word) {
      const end = block.indexOf('\n', i);
      const comment = block.slice(i + 1, end < 0 ? block.length : end);
      i = end < 0 ? block.length : end;
      endCommand(comment);
    } else if (c === "'") {
      const end = block.indexOf("'", i + 1);
      if (end < 0) throw new Error(`line ${line}: unterminated single quote`);
      const text = block.slice(i + 1, end);
      line += text.split('\n').length - 1;
      push(text, 'single');
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let depth = 0;
      // A double-quoted string ends at a quote outside any $( … ) it holds.
      while (j < block.length && !(block[j] === '"' && depth === 0)) {
        if (block[j] === '$' && block[j + 1] === '(') depth++;
        else if (block[j] === ')' && depth > 0) depth--;
        j++;
      }
      if (j >= block.length) throw new Error(`line ${line}: unterminated double quote`);
      push(block.slice(i + 1, j), 'double');
      i = j + 1;
    } else {
      let j = i;
      while (j < block.length && !` \t\n'"\\`.includes(block[j])) j++;
      if (j === i) throw new Error(`line ${line}: cannot read "${block.slice(i, i + 20)}"`);
      push(block.slice(i, j), 'none');
      i = j;
    }
  }
  endCommand();
  return steps;
}

function toStep(words: Word[], line: number): Step {
  const first = words[0];
  const assignment = first[0].quote === 'none' ? first[0].text.match(/^([A-Z_][A-Z0-9_]*)=(.*)$/) : null;
  if (assignment && words.length === 1) {
    const rest: Word = [{ text: assignment[2], quote: 'none' as const }, ...first.slice(1)].filter(
      (s) => s.text !== '' || s.quote !== 'none',
    );
    return { kind: 'assign', name: assignment[1], value: rest, line };
  }
  if (first.length === 1 && first[0].text === 'curl') return { kind: 'curl', words: words.slice(1), line };
  throw new Error(`line ${line}: only NAME=value and curl commands are understood, not "${words.map(raw).join(' ')}"`);
}

function raw(word: Word): string {
  return word.map((s) => s.text).join('');
}

/** `201`, `201 {"preOrderId":"…"}`, `{"dropId":"…"}`, `409 DROP.PHASE_NOT_OPEN, "phase":"city"`. */
export function parseExpectation(text: string): Expectation {
  const expectation: Expectation = { text };
  let rest = text.trim();
  const status = rest.match(/^(\d{3})\b\s*/);
  if (status) {
    expectation.status = Number(status[1]);
    rest = rest.slice(status[0].length);
  }
  const code = rest.match(/^([A-Z][A-Z_]*\.[A-Z][A-Z_]*)\b,?\s*/);
  if (code) {
    expectation.code = code[1];
    rest = rest.slice(code[0].length);
  }
  if (rest !== '') {
    const json = rest.startsWith('{') ? rest : `{${rest}}`;
    try {
      expectation.body = JSON.parse(json) as Record<string, unknown>;
    } catch {
      throw new Error(`cannot read the expected answer "${text}"`);
    }
  }
  if (expectation.status === undefined && expectation.code === undefined && expectation.body === undefined)
    throw new Error(`empty expectation "${text}"`);
  return expectation;
}

/** How a walkthrough's `$(…)` and `<role token>` become tokens the engine under test accepts. */
export interface Shell {
  variables: Record<string, string>;
  /** `npm run -s dropline -- token --role R --sub S [--city C]` and the `<R token>` placeholders. */
  token(role: string, sub: string | undefined, city: string | undefined): string;
}

/** The text of a word after the expansions the walkthroughs use. */
export function expand(word: Word, shell: Shell): string {
  return word
    .map((segment) => {
      if (segment.quote === 'single') return segment.text;
      return segment.text
        .replace(/\$\(([^)]*)\)/g, (_, command: string) => substitute(command, shell))
        .replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => {
          const value = shell.variables[name];
          if (value === undefined) throw new Error(`$${name} is used before the walkthrough sets it`);
          return value;
        })
        .replace(/<([a-z-]+) token>/g, (_, role: string) => shell.token(role, undefined, undefined));
    })
    .join('');
}

function substitute(command: string, shell: Shell): string {
  const args = command.trim().split(/\s+/);
  const prefix = ['npm', 'run', '-s', 'dropline', '--', 'token'];
  if (prefix.some((p, i) => args[i] !== p)) throw new Error(`$(${command}): only the CLI's token command is understood`);
  const option = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at < 0 ? undefined : args[at + 1];
  };
  const role = option('role');
  if (!role) throw new Error(`$(${command}): no --role`);
  return shell.token(role, option('sub'), option('city'));
}

/** A curl command as an HTTP request. */
export interface WalkthroughRequest {
  method: string;
  /** Path and query, from the URL after `localhost:3000`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export function toRequest(words: Word[], shell: Shell): WalkthroughRequest {
  const args = words.map((w) => expand(w, shell));
  const headers: Record<string, string> = {};
  let method: string | undefined;
  let body: string | undefined;
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-s') continue;
    if (arg === '-X') method = args[++i];
    else if (arg === '-H') {
      const header = args[++i];
      const colon = header.indexOf(':');
      if (colon < 1) throw new Error(`header "${header}" has no name`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    } else if (arg === '-d') body = args[++i];
    else if (arg.startsWith('-')) throw new Error(`curl option ${arg} is not understood`);
    else if (url === undefined) url = arg;
    else throw new Error(`a second URL "${arg}"`);
  }
  if (!url) throw new Error('curl without a URL');
  const path = url.replace(/^(https?:\/\/)?localhost:3000/, '');
  if (!path.startsWith('/')) throw new Error(`URL "${url}" is not on localhost:3000`);
  return { method: method ?? (body === undefined ? 'GET' : 'POST'), path, headers, ...(body === undefined ? {} : { body }) };
}

/**
 * Whether an answer is what the document promised: the status (2xx when it names none), the
 * problem's `code`, and every field it shows ("…" for any value, objects compared field by field).
 */
export function meets(expectation: Expectation | undefined, status: number, body: unknown): string | undefined {
  if (expectation?.status !== undefined ? status !== expectation.status : status < 200 || status > 299)
    return `status ${status}, expected ${expectation?.status ?? '2xx'}`;
  if (expectation?.code !== undefined && (body as { code?: unknown } | undefined)?.code !== expectation.code)
    return `code ${(body as { code?: unknown } | undefined)?.code}, expected ${expectation.code}`;
  if (expectation?.body !== undefined) {
    const mismatch = fieldsDiffer(expectation.body, body, '');
    if (mismatch) return mismatch;
  }
  return undefined;
}

function fieldsDiffer(expected: unknown, actual: unknown, at: string): string | undefined {
  if (expected === '…') return actual === undefined ? `${at || 'the body'} is missing` : undefined;
  if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
    if (typeof actual !== 'object' || actual === null) return `${at || 'the body'} is not an object`;
    for (const [key, value] of Object.entries(expected)) {
      const differs = fieldsDiffer(value, (actual as Record<string, unknown>)[key], at ? `${at}.${key}` : key);
      if (differs) return differs;
    }
    return undefined;
  }
  return JSON.stringify(expected) === JSON.stringify(actual)
    ? undefined
    : `${at} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}
