/**
 * `sysgate lint` over the vendored corpus: no crash on any of the 82 profiles, the files SOURCES.md
 * marks INVALID exit 2 naming the line and column, every other file exits 0 or 1 with findings that
 * carry a position, and docs/lint-corpus.md is the table scripts/lint-corpus.ts writes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  CORPUS,
  CORPUS_HOST_ARGS,
  corpusFiles,
  corpusPage,
  corpusRows,
} from '../../scripts/lint-corpus.js';
import { runCli } from './run-cli.js';

const files = corpusFiles();
const invalid = readFileSync(resolve(CORPUS, 'SOURCES.md'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('| ') && l.includes('**INVALID'))
  .map((l) => l.split('|')[1]?.trim() ?? '');
const rows = corpusRows();

describe('lint over the corpus', () => {
  test('82 profiles, three of them INVALID', () => {
    expect(files).toHaveLength(82);
    expect(invalid).toHaveLength(3);
  });

  test.each(files)('%s', async (f) => {
    const path = resolve(CORPUS, f);
    const r = await runCli(['lint', ...CORPUS_HOST_ARGS, '--json', path]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at \S+ \(/);
    const row = rows.find((x) => x.file === f);
    expect(r.code).toBe(row?.exit);
    if (invalid.includes(f)) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`${f.replaceAll('.', '\\.')}:\\d+:\\d+: error\\[(syntax|template)\\]`),
      );
      expect(r.stderr).toContain('not linted: no seccomp profile could be read');
      return;
    }
    expect([0, 1]).toContain(r.code);
    const doc = JSON.parse(r.stdout) as { findings: { line: number; pointer: string }[] };
    expect(doc.findings).toHaveLength(
      (row?.errors ?? 0) + (row?.warnings ?? 0) + (row?.infos ?? 0),
    );
    for (const x of doc.findings) expect(x.line).toBeGreaterThanOrEqual(1);
  });

  test('docs/lint-corpus.md is current (npx tsx scripts/lint-corpus.ts)', () => {
    const page = readFileSync(resolve(import.meta.dirname, '../../docs/lint-corpus.md'), 'utf8');
    expect(page).toBe(corpusPage(rows));
  });
});
