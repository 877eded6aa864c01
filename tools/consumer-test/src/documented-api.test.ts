import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PUBLISHED } from './published.ts';

const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));

interface Manifest {
  readonly exports: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The folder of a published package: its name without the scope. */
function packageDirectory(name: string): string {
  return join(WORKSPACE, 'packages', name.replace(/^@stowage\//u, ''));
}

/**
 * The names a README documents for each entry point: a section `## API` (the package itself) or
 * ``## API of `name/sub` `` lists bullets that begin with the names they describe, in backticks, before a colon.
 */
export function documentedNames(readme: string, packageName: string): Map<string, Set<string>> {
  const entries = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of readme.split('\n')) {
    const heading = /^## (.*)$/u.exec(line);
    if (heading !== null) {
      const api = /^API(?: of `([^`]+)`)?$/u.exec(heading[1] ?? '');
      current = api === null ? undefined : new Set<string>();
      if (api !== null && current !== undefined) entries.set(api[1] ?? packageName, current);
      continue;
    }
    if (current === undefined || !line.startsWith('- ')) continue;
    // The lead is what comes before the first colon outside backticks.
    let lead = '';
    let quoted = false;
    for (const char of line.slice(2)) {
      if (char === '`') quoted = !quoted;
      else if (char === ':' && !quoted) break;
      lead += char;
    }
    for (const [, span = ''] of lead.matchAll(/`([^`]+)`/gu)) {
      const name = /^(?:new )?([A-Za-z_$][\w$]*)/u.exec(span)?.[1];
      if (name !== undefined) current.add(name);
    }
  }
  return entries;
}

/** Every name an index file exports, values and types, read by the TypeScript parser. */
function indexExports(source: string, fileName: string): { values: string[]; types: string[] } {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest);
  const values: string[] = [];
  const types: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isExportDeclaration(statement))
      throw new Error(`${fileName} does more than re-export: ${statement.getText(file)}`);
    const clause = statement.exportClause;
    if (clause === undefined || !ts.isNamedExports(clause))
      throw new Error(`${fileName}: export * hides what is exported`);
    for (const element of clause.elements)
      (statement.isTypeOnly || element.isTypeOnly ? types : values).push(element.name.text);
  }
  return { values: values.sort(), types: types.sort() };
}

const entryPoints = await Promise.all(
  PUBLISHED.map(async (name) => {
    const directory = packageDirectory(name);
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as Manifest;
    const documented = documentedNames(await readFile(join(directory, 'README.md'), 'utf8'), name);
    return Object.entries(manifest.exports).map(([subpath, conditions]) => {
      const source = conditions['@stowage/source'];
      if (source === undefined) throw new Error(`${name} ${subpath} has no @stowage/source condition`);
      const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
      return {
        specifier,
        index: join(directory, source),
        documented: documented.get(specifier),
        readme: join(directory, 'README.md'),
      };
    });
  }),
);

describe('each entry point exports exactly what its README documents', () => {
  it.each(entryPoints.flat())('$specifier', async ({ specifier, index, documented, readme }) => {
    expect(documented, `${readme} has no API section for ${specifier}`).toBeDefined();
    const { values, types } = indexExports(await readFile(index, 'utf8'), index);
    const loaded = (await import(specifier)) as Record<string, unknown>;
    expect(Object.keys(loaded).sort(), `the values ${specifier} exports at run time`).toEqual(values);
    expect([...values, ...types].sort(), `the names ${readme} documents for ${specifier}`).toEqual(
      [...(documented ?? [])].sort(),
    );
  });
});

describe('documentedNames', () => {
  it('takes the backticked names before the colon of each bullet, per API section', () => {
    const readme = [
      '# x',
      '## Install',
      '- `notThis`: an install step',
      '## API',
      '- `open(settings)`, `new Store(options)` and `Options`: `NotAName` after the colon',
      '  `continued`: not a bullet',
      '## API of `x/testing`',
      '- `Fake`: `a: b`',
      '## Performance',
      '- `figure`: not API',
    ].join('\n');
    expect(documentedNames(readme, 'x')).toEqual(
      new Map([
        ['x', new Set(['open', 'Store', 'Options'])],
        ['x/testing', new Set(['Fake'])],
      ]),
    );
  });
});
