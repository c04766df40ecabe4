/**
 * Diff bench: `sysgate diff` of two Docker default versions (moby's default.json of 2021-12-18 and
 * of 2025-05-28, from the corpus) against what a reviewer runs otherwise, `jq -S` on both files and
 * `diff` of the results. Whole processes (node start-up included), median of RUNS runs each, side by
 * side in one run; and where the two answers disagree: syscall names the text diff touches whose
 * decisions do not change, and decisions that change where the text diff shows no name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed } from './trace.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../..');
const CLI = resolve(REPO_ROOT, 'dist/cli/main.js');
const CORPUS = resolve(REPO_ROOT, 'test/fixtures/corpus/profiles');
const OLD = resolve(CORPUS, 'moby__moby__profiles_seccomp_default__2021-12-18_85eaf23b.json');
const NEW = resolve(CORPUS, 'moby__moby__profiles_seccomp_default__2025-05-28_148a19b6.json');
const HOST = ['--host', 'x86_64', '--caps', 'default', '--kernel', '6.1', '--libseccomp', '2.5.4'];
const TEXT = `diff <(jq -S . OLD) <(jq -S . NEW)`;
const RUNS = Number(process.env.SYSGATE_BENCH_DIFF_RUNS ?? '5');

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Run the bench and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-diff-'));
  const rss = join(dir, 'rss');
  const sem: number[] = [];
  const text: number[] = [];
  let semOut = '';
  let textOut = '';
  try {
    for (let i = 0; i < RUNS; i++) {
      const s = timed(
        [process.execPath, CLI, 'diff', OLD, NEW, ...HOST, '--json'],
        rss,
        'sysgate diff',
      );
      sem.push(s.seconds);
      semOut = s.stdout;
      const t = timed(
        ['bash', '-c', TEXT.replace('OLD', OLD).replace('NEW', NEW)],
        rss,
        'jq + diff',
        process.env,
        [0, 1],
      );
      text.push(t.seconds);
      textOut = t.stdout;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const diffs = (
    JSON.parse(semOut) as {
      differences: { abi: string; syscall: string; old: string; new: string }[];
    }
  ).differences;
  const semNames = new Set(diffs.map((d) => d.syscall));
  const textNames = new Set<string>();
  for (const line of textOut.split('\n')) {
    if (!/^[<>]/.test(line)) continue;
    for (const m of line.matchAll(/"([a-z_][a-z0-9_]*)"/g))
      if (m[1] !== undefined) textNames.add(m[1]);
  }
  // JSON keys and arch names are not syscalls.
  const NOT_NAMES = new Set([
    'names',
    'action',
    'args',
    'index',
    'value',
    'valueTwo',
    'op',
    'includes',
    'excludes',
    'caps',
    'arches',
    'minKernel',
    'comment',
    'errnoRet',
    'architecture',
    'subArchitectures',
    'riscv64',
  ]);
  const isName = (n: string): boolean => !n.startsWith('SCMP_') && !NOT_NAMES.has(n);
  const textOnly = [...textNames].filter((n) => isName(n) && !semNames.has(n)).sort();
  const semOnly = [...semNames].filter((n) => !textNames.has(n)).sort();
  const pairs = new Set(diffs.map((d) => `${d.abi} ${d.syscall}`)).size;
  const textLines = textOut.split('\n').filter((l) => /^[<>]/.test(l)).length;
  const ms = (x: number): string => `${(x * 1000).toFixed(0)} ms`;
  const list = (xs: readonly string[]): string =>
    xs.length === 0 ? '(none)' : xs.map((x) => `\`${x}\``).join(', ');
  return {
    markdown: [
      '## Diff: two Docker default versions (moby 2021-12-18 vs 2025-05-28), x86_64 host',
      '',
      `\`sysgate diff OLD NEW ${HOST.join(' ')} --json\` (every syscall of x86_64, x86 and x32 on the whole`,
      `argument space, each region confirmed in the emulator) against \`${TEXT}\`. Whole processes,`,
      `median of ${RUNS} runs each, alternated in one run. Load average at the end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')} on ${availableParallelism()} CPUs.`,
      '',
      '| Command | Median wall | Answer |',
      '|---|---:|---|',
      `| \`sysgate diff --json\` | ${ms(median(sem))} | ${diffs.length} differing regions in ${pairs} (ABI, syscall) pairs |`,
      `| \`${TEXT.replaceAll('|', '\\|')}\` | ${ms(median(text))} | ${textLines} changed lines |`,
      '',
      `Ratio: sysgate diff takes ${(median(sem) / median(text)).toFixed(1)}x the text diff's time.`,
      '',
      'Where the answers disagree:',
      '',
      `- names in the text diff whose decisions do not change on this host: ${list(textOnly)}`,
      `- syscalls whose decisions change but whose name is on no changed line: ${list(semOnly)}`,
      '',
      'The text diff shows new names and rules that change nothing on this host: names libseccomp 2.5.4',
      'does not know (runc skips them, the stub answers ENOSYS either way), rules gated on capabilities',
      "or arches the host does not have. The semantic diff shows only what a container's calls meet.",
      '',
      'Reproduce this section alone: `npx tsc -p tsconfig.build.json && npx tsc -p tsconfig.bench.json &&',
      'node -e "import(\'./dist-bench/bench/diff.js\').then((m) => console.log(m.bench().markdown))"`.',
      '',
    ].join('\n'),
  };
}
