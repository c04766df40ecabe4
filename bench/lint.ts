/**
 * Lint bench: `sysgate lint` of the 82 corpus profiles in one run against what a reviewer scripts
 * otherwise, a jq filter per file listing unconditional ALLOW rules for the knowledge base's critical
 * syscalls and for `socket` without argument conditions. Whole processes (node start-up included),
 * median of RUNS runs each, alternated in one run; then where the two answers disagree, per file and
 * syscall: what jq reports that the real stack never allows (capability-gated rules, names runc
 * drops), what it misses (allow-by-default profiles, rules moby keeps for the host, YAML files it
 * cannot read).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { criticalSyscalls, riskOf } from '../src/kb/index.js';
import { timed } from './trace.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../..');
const CLI = resolve(REPO_ROOT, 'dist/cli/main.js');
const CORPUS = resolve(REPO_ROOT, 'test/fixtures/corpus/profiles');
const HOST = ['--arch', 'x86_64', '--caps', 'default', '--kernel', '6.1', '--libseccomp', '2.5.4'];
const RUNS = Number(process.env.SYSGATE_BENCH_LINT_RUNS ?? '3');

/** The jq filter: `FILE<TAB>SYSCALL` for each unconditional ALLOW of a watched name. */
const JQ_FILTER = [
  '(.syscalls // .spec.syscalls // .linux.seccomp.syscalls // [])[]',
  '| select(.action == "SCMP_ACT_ALLOW" and ((.args // []) | length) == 0)',
  '| (.names // [.name])[]',
  '| select(. as $n | $watch | index($n))',
  '| "\\($f)\\t\\(.)"',
].join(' ');

/** The rules that report a critical syscall (or socket) the host's filter lets run. */
const ALLOWING_RULES = [
  'critical-allowed',
  'clone3-allowed',
  'io-uring-allowed',
  'namespace-creation',
  'socket-family',
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Quote for a POSIX shell (single quotes). */
function shq(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** The shell loop a reviewer would run: one jq per file; unreadable files are listed as such. */
function jqScript(watch: readonly string[]): string {
  const w = shq(JSON.stringify(watch));
  const filter = shq(JQ_FILTER);
  return `cd ${shq(CORPUS)} && for f in *.json *.yaml; do jq -r --arg f "$f" --argjson watch ${w} ${filter} "$f" 2>/dev/null || printf '%s\\tUNREADABLE\\n' "$f"; done`;
}

type Pairs = Set<string>;

function list(xs: readonly string[], max = 4): string {
  if (xs.length === 0) return '(none)';
  const shown = xs.slice(0, max).map((x) => `\`${x}\``);
  return xs.length > max ? `${shown.join(', ')} and ${xs.length - max} more` : shown.join(', ');
}

/** Run the bench and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const watch = [
    ...criticalSyscalls().filter((n) => riskOf(n).level === 'critical'),
    'socket',
  ].sort();
  const files = readdirSync(CORPUS)
    .filter((f) => f !== 'SOURCES.md')
    .sort();
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-lint-'));
  const rss = join(dir, 'rss');
  const lintTimes: number[] = [];
  const jqTimes: number[] = [];
  let lintOut = '';
  let jqOut = '';
  try {
    for (let i = 0; i < RUNS; i++) {
      const s = timed(
        [process.execPath, CLI, 'lint', ...HOST, '--json', ...files.map((f) => join(CORPUS, f))],
        rss,
        'sysgate lint',
        process.env,
        [0, 1, 2],
      );
      lintTimes.push(s.seconds);
      lintOut = s.stdout;
      const j = timed(['bash', '-c', jqScript(watch)], rss, 'jq loop');
      jqTimes.push(j.seconds);
      jqOut = j.stdout;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const findings = (
    JSON.parse(lintOut) as { findings: { file: string; rule: string; syscalls?: string[] }[] }
  ).findings;
  const semantic: Pairs = new Set();
  for (const f of findings) {
    if (!ALLOWING_RULES.includes(f.rule)) continue;
    const base = f.file.slice(CORPUS.length + 1);
    for (const s of f.syscalls ?? []) semantic.add(`${base}\t${s}`);
  }
  const text: Pairs = new Set();
  const unreadable: string[] = [];
  for (const line of jqOut.split('\n')) {
    const [file, what] = line.split('\t');
    if (file === undefined || what === undefined) continue;
    if (what === 'UNREADABLE') unreadable.push(file);
    else text.add(`${file}\t${what}`);
  }
  const jqOnly = [...text].filter((p) => !semantic.has(p)).sort();
  const lintOnly = [...semantic].filter((p) => !text.has(p)).sort();
  const unreadableSet = new Set(unreadable);
  const missedUnreadable = lintOnly.filter((p) => unreadableSet.has(p.split('\t')[0] ?? ''));
  const missedReadable = lintOnly.filter((p) => !unreadableSet.has(p.split('\t')[0] ?? ''));
  const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
  const show = (p: string): string => p.replace('\t', ': ');
  const agree = [...semantic].filter((p) => text.has(p)).length;
  return {
    markdown: [
      '## Lint: the 82 corpus profiles, x86_64 host',
      '',
      `\`sysgate lint ${HOST.join(' ')} --json FILE...\` (every rule, decided on the plan runc and`,
      'libseccomp build for the host) against a jq filter per file, the check a reviewer scripts by hand:',
      `unconditional ALLOW rules (no \`args\`) naming one of the knowledge base's ${watch.length - 1} critical syscalls or`,
      '`socket`, read from `.syscalls`, `.spec.syscalls` or `.linux.seccomp.syscalls`. Whole processes, median',
      `of ${RUNS} runs each, alternated in one run. Load average at the end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')} on ${availableParallelism()} CPUs.`,
      '',
      '| Command | Median wall | Answer |',
      '|---|---:|---|',
      `| \`sysgate lint --json\` (82 files, one process) | ${ms(median(lintTimes))} | ${findings.length} findings; ${semantic.size} (file, syscall) pairs of critical syscalls or socket allowed on every argument |`,
      `| jq filter, one process per file | ${ms(median(jqTimes))} | ${text.size} (file, syscall) pairs; ${unreadable.length} files unreadable |`,
      '',
      `Ratio: sysgate lint takes ${(median(lintTimes) / median(jqTimes)).toFixed(1)}x the jq loop's time; its findings come from ${new Set(findings.map((f) => f.rule)).size} rules, the jq filter checks one thing.`,
      '',
      `Where the answers disagree (${agree} pairs agree):`,
      '',
      `- jq reports, but the host's filter never allows on every argument (${jqOnly.length}): ${list(jqOnly.map(show))}`,
      `- sysgate reports, jq misses in files it reads (${missedReadable.length}): ${list(missedReadable.map(show))}`,
      `- sysgate reports in files jq cannot read (YAML, JSON with comments or trailing commas: ${unreadable.length} files): ${missedUnreadable.length} pairs`,
      '',
      `sysgate's pairs are the syscalls of the findings of ${ALLOWING_RULES.map((r) => `\`${r}\``).join(', ')}.`,
      '',
      'jq reads rules, not decisions: it counts rules gated by capabilities the container lacks',
      '(`includes.caps`) or by other arches, and names runc drops; it misses allow-by-default profiles',
      "(nothing is listed, everything runs), rules whose conditions moby's `excludes` drop, and every",
      'YAML profile (SeccompProfile CRDs).',
      '',
      'Reproduce this section alone: `npx tsc -p tsconfig.build.json && npx tsc -p tsconfig.bench.json &&',
      'node -e "import(\'./dist-bench/bench/lint.js\').then((m) => console.log(m.bench().markdown))"`.',
      '',
    ].join('\n'),
  };
}
