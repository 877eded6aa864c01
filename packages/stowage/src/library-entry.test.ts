import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SOURCE = new URL('./', import.meta.url);

/** Every module of this package an entry loads, following its relative imports (static and dynamic). */
function packageModules(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [new URL(entry, SOURCE).href];
  for (let url = pending.pop(); url !== undefined; url = pending.pop()) {
    if (seen.has(url)) continue;
    seen.add(url);
    const { importedFiles } = ts.preProcessFile(readFileSync(fileURLToPath(url), 'utf8'), true, true);
    for (const { fileName } of importedFiles) if (fileName.startsWith('.')) pending.push(new URL(fileName, url).href);
  }
  return [...seen].map((url) => url.slice(SOURCE.href.length)).sort();
}

describe('the library entry (stowage)', () => {
  it("loads none of the command's modules", () => {
    const modules = packageModules('index.ts');
    expect(modules).toContain('open-stores.ts');
    expect(modules.filter((module) => module.startsWith('cli/'))).toEqual([]);
  });

  it('is apart from the command, which does load its argument parsing and progress display', () => {
    const modules = packageModules('cli/stowage.ts');
    expect(modules).toEqual(
      expect.arrayContaining([
        'cli/parse-command-line.ts',
        'cli/progress-display.ts',
        'cli/exit-codes.ts',
        'open-stores.ts',
      ]),
    );
  });
});
