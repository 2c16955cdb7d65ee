// The domain is pure: it imports only its own files and Node built-ins (node:crypto for hashing),
// never NestJS, TypeORM, kafkajs, pg or the EventStoreDB client, and never reads a clock or dice.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = __dirname;

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFilesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every module specifier in `source`: static imports, re-exports, side-effect imports, require() and import(). */
function moduleSpecifiers(source: string): string[] {
  const code = withoutComments(source);
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:require|import)\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1]));
}

const isAllowed = (specifier: string) => specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('node:');

/** Clock and randomness reads that would make decide/evolve non-deterministic. */
const IMPURE = [
  /\bDate\.now\s*\(/,
  /\bnew Date\s*\(\s*\)/,
  /\bMath\.random\s*\(/,
  /\brandomUUID\s*\(/,
  /\bperformance\.now\s*\(/,
  /\bprocess\.env\b/,
];

describe('domain purity', () => {
  const files = tsFilesUnder(SRC);

  it('finds the domain sources (a scan of nothing would prove nothing)', () => {
    const names = files.map((f) => relative(SRC, f));
    expect(names).toEqual(
      expect.arrayContaining(['index.ts', 'decider.ts', join('drop', 'drop.decider.ts'), join('restock', 'reorder-point.ts')]),
    );
  });

  it('imports nothing but relative paths and node: built-ins', () => {
    const offenders = files.flatMap((file) =>
      moduleSpecifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => !isAllowed(specifier))
        .map((specifier) => `${relative(SRC, file)} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  it('production code reads no clock and no randomness', () => {
    const production = files.filter((file) => !file.endsWith('.spec.ts') && !file.includes(`${join(SRC, 'testing')}`));
    const offenders = production.flatMap((file) => {
      const code = withoutComments(readFileSync(file, 'utf8'));
      return IMPURE.filter((pattern) => pattern.test(code)).map((pattern) => `${relative(SRC, file)} matches ${pattern}`);
    });
    expect(offenders).toEqual([]);
  });

  it('the scanner itself catches framework imports in every form', () => {
    // Keywords are spliced in so this file's own source does not look like it imports these.
    const [IMPORT, EXPORT, REQUIRE] = [
      ['im', 'port'],
      ['ex', 'port'],
      ['re', 'quire'],
    ].map((parts) => parts.join(''));
    const sample = [
      `${IMPORT} { Injectable } from '@nestjs/common';`,
      `${IMPORT} type { Repository } from 'typeorm';`,
      `${EXPORT} { Kafka } from 'kafkajs';`,
      `${IMPORT} 'reflect-metadata';`,
      `const pg = ${REQUIRE}('pg');`,
      `const esdb = await ${IMPORT}('@eventstore/db-client');`,
      `${IMPORT} {\n  a,\n  b,\n} from './fine';`,
      `${IMPORT} { createHash } from 'node:crypto';`,
      `// ${IMPORT} { x } from 'commented-out';`,
    ].join('\n');
    expect(moduleSpecifiers(sample).filter((s) => !isAllowed(s))).toEqual([
      '@nestjs/common',
      'typeorm',
      'kafkajs',
      'reflect-metadata',
      'pg',
      '@eventstore/db-client',
    ]);
  });
});
