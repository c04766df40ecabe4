/**
 * docs/lint-corpus.md: `sysgate lint` over the 82 corpus profiles (test/fixtures/corpus/profiles), one
 * row per file with the exit code lint gives it, its findings per severity and per rule, on a fixed
 * host (x86_64 with Docker's capabilities, kernel 6.1, libseccomp 2.5.4) so the table is the same on
 * every machine. `npx tsx scripts/lint-corpus.ts` rewrites it; test/cli/lint-corpus.test.ts checks it
 * is current.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/kb/index.js';
import { LINT_RULES, lintText, type LintHost } from '../src/review/lint/index.js';

const ROOT = resolve(import.meta.dirname, '..');
/** The corpus directory. */
export const CORPUS = resolve(ROOT, 'test/fixtures/corpus/profiles');
/** The fixed host of the table. */
export const CORPUS_HOST: LintHost = {
  arch: 'x86_64',
  abis: ['x86_64', 'x86', 'x32'],
  caps: DOCKER_DEFAULT_CAPABILITIES,
  kernel: { major: 6, minor: 1 },
  libseccomp: '2.5.4',
};
/** The CLI options that give the same host. */
export const CORPUS_HOST_ARGS = [
  '--arch',
  'x86_64',
  '--caps',
  'default',
  '--kernel',
  '6.1',
  '--libseccomp',
  '2.5.4',
  // The model's reference stack (what the library decides with no stack given): current Docker,
  // runc 1.1 (libseccomp optimize level 1), not this machine's versions.
  '--stack',
  'current',
  '--runc',
  '1.1.5',
];

/** The corpus files, sorted. */
export function corpusFiles(): string[] {
  return readdirSync(CORPUS)
    .filter((f) => f !== 'SOURCES.md')
    .sort();
}

/** One file's line of the table, and the exit code lint gives it. */
export interface CorpusRow {
  readonly file: string;
  readonly exit: 0 | 1 | 2;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
  readonly rules: Readonly<Record<string, number>>;
  readonly why?: string;
}

/** Lint every corpus file with the library, as `sysgate lint` does. */
export function corpusRows(): CorpusRow[] {
  return corpusFiles().map((file): CorpusRow => {
    const r = lintText(readFileSync(resolve(CORPUS, file), 'utf8'), file, {
      host: CORPUS_HOST,
      rules: LINT_RULES,
    });
    if (r.badInput !== undefined) {
      const first = r.badInput[0];
      return {
        file,
        exit: 2,
        errors: 0,
        warnings: 0,
        infos: 0,
        rules: {},
        why:
          first === undefined
            ? 'no profile'
            : `${first.position?.line ?? 1}:${first.position?.column ?? 1} ${first.code}: ${first.message}`,
      };
    }
    const rules: Record<string, number> = {};
    for (const f of r.findings) rules[f.rule] = (rules[f.rule] ?? 0) + 1;
    const errors = r.findings.filter((f) => f.severity === 'error').length;
    const warnings = r.findings.filter((f) => f.severity === 'warning').length;
    return {
      file,
      exit: errors > 0 ? 1 : 0,
      errors,
      warnings,
      infos: r.findings.length - errors - warnings,
      rules,
    };
  });
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The page. */
export function corpusPage(rows: readonly CorpusRow[]): string {
  const byExit = [0, 1, 2].map((e) => rows.filter((r) => r.exit === e).length);
  const totals = new Map<string, { findings: number; files: number }>();
  for (const r of rows)
    for (const [id, n] of Object.entries(r.rules)) {
      const t = totals.get(id) ?? { findings: 0, files: 0 };
      totals.set(id, { findings: t.findings + n, files: t.files + 1 });
    }
  return [
    '# Lint over the corpus',
    '',
    `\`sysgate lint ${CORPUS_HOST_ARGS.join(' ')}\` on each of the ${rows.length} profiles of`,
    '`test/fixtures/corpus/profiles` (where each comes from: its `SOURCES.md`). Written by',
    '`npx tsx scripts/lint-corpus.ts`; `test/cli/lint-corpus.test.ts` checks it is current and that the',
    'CLI gives every file the exit code shown. Rules: [docs/rules](rules/README.md).',
    '',
    `Exit codes: ${byExit[0]} clean (0), ${byExit[1]} with error findings (1), ${byExit[2]} bad input (2: the files SOURCES.md marks INVALID).`,
    '',
    '| rule | findings | files |',
    '| --- | ---: | ---: |',
    ...LINT_RULES.map((r) => {
      const t = totals.get(r.meta.id) ?? { findings: 0, files: 0 };
      return `| [${r.meta.id}](rules/${r.meta.id}.md) | ${t.findings} | ${t.files} |`;
    }),
    '',
    '| profile | exit | errors | warnings | info | findings per rule |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => {
      const per =
        r.why !== undefined
          ? `not linted: ${cell(r.why)}`
          : Object.entries(r.rules)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([id, n]) => `${id} ${n}`)
              .join(', ');
      return `| \`${r.file}\` | ${r.exit} | ${r.errors} | ${r.warnings} | ${r.infos} | ${per} |`;
    }),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = corpusRows();
  writeFileSync(resolve(ROOT, 'docs/lint-corpus.md'), corpusPage(rows));
  process.stderr.write(`wrote docs/lint-corpus.md (${rows.length} profiles)\n`);
}
