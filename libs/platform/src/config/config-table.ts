import { describeEnvironment } from './environment';

/** One row of the README's configuration table, as markdown cell text. */
export interface ConfigTableRow {
  variable: string;
  default: string;
  meaning: string;
}

function shown(value: unknown): string {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '—';
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

/** The table's rows from the schema: every variable, its default and its description. */
export function configTableRows(): ConfigTableRow[] {
  return describeEnvironment().map((v) => ({
    variable: `\`${v.name}\``,
    default: v.shownDefault ?? shown(v.default),
    meaning: v.description.replace(/\|/g, '\\|'),
  }));
}

/** The README's "## Configuration" table (config-table.spec.ts checks that the README has it). */
export function renderConfigTable(): string {
  const lines = [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...configTableRows().map((r) => `| ${r.variable} | ${r.default} | ${r.meaning} |`),
  ];
  return `${lines.join('\n')}\n`;
}
