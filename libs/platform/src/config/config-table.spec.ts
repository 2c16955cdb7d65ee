import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigTableRow, configTableRows, renderConfigTable } from './config-table';

/** The rows of the first table under "## Configuration" in the README, cells trimmed (any column padding is fine). */
function readmeRows(): ConfigTableRow[] {
  const readme = readFileSync(path.resolve(__dirname, '../../../../README.md'), 'utf8');
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  expect(lines[0]?.replace(/\s+/g, '')).toBe('|variable|default|meaning|');
  return lines.slice(2).map((line) => {
    const [variable, defaultValue, meaning, ...rest] = line
      .trim()
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    expect(rest).toEqual([]);
    return { variable, default: defaultValue, meaning };
  });
}

describe('the README configuration table', () => {
  it('is the schema: every variable, its default and its description (paste renderConfigTable() when it changes)', () => {
    const actual = readmeRows();
    const expected = configTableRows();
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      process.stderr.write(`README.md "## Configuration" table should be:\n\n${renderConfigTable()}\n`);
    }
    expect(actual.map((r) => r.variable)).toEqual(expected.map((r) => r.variable));
    expect(actual).toEqual(expected);
  });

  it('renders one row per variable, unset defaults as a dash', () => {
    const table = renderConfigTable();
    expect(table.split('\n').slice(0, 2)).toEqual(['| variable | default | meaning |', '| --- | --- | --- |']);
    expect(table).toContain('| `PORT` | `3000` | HTTP listener port |');
    expect(table).toContain('| `DATABASE_URL` | — |');
    expect(table).toContain('| `KAFKA_BROKERS` | — |');
    expect(table).toContain('| `FULFILLMENT_DATABASE_URL` | `DATABASE_URL` |');
  });
});
