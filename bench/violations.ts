/**
 * Violations bench: records per second that `sysgate violations` reads from a kernel log (seccomp
 * records among other lines), grouped, and with `--profile` each group decided by the decision
 * model, against the grep pipeline users run (`grep type=1326 | grep -oE syscall= | sort | uniq -c`,
 * which neither names syscalls per arch nor tells outcomes apart); peak RSS at two sizes (memory
 * stays flat: groups are kept, records are not).
 *
 * Sizes: `SYSGATE_BENCH_VIOLATIONS_RECORDS=250000,1000000` (first and last compared for RSS);
 * `SYSGATE_BENCH_QUICK=1` runs 50,000 and 200,000.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAuditLog } from './lib-trace-data.js';
import { AUDIT_PIPELINE, timed } from './trace.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../..');
const CORPUS = resolve(REPO_ROOT, 'test/fixtures/corpus/traces/seccomp');
const CLI = resolve(REPO_ROOT, 'dist/cli/main.js');
const PROFILE = resolve(REPO_ROOT, 'examples/docker-default.json');

interface Row {
  readonly what: string;
  readonly records: number;
  readonly mb: number;
  readonly seconds: number;
  readonly rssKb: number;
}

/** The sizes of this run. */
export function violationSizes(env: NodeJS.ProcessEnv = process.env): number[] {
  const given = env.SYSGATE_BENCH_VIOLATIONS_RECORDS;
  if (given !== undefined) return given.split(',').map(Number);
  return env.SYSGATE_BENCH_QUICK === '1' ? [50_000, 200_000] : [250_000, 1_000_000];
}

/** Run the bench and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-violations-'));
  const rss = join(dir, 'rss');
  const rows: Row[] = [];
  try {
    for (const n of violationSizes()) {
      const file = join(dir, `kern-${n}.log`);
      writeAuditLog(file, n, CORPUS);
      const mb = statSync(file).size / 1e6;
      const add = (what: string, argv: string[]): void => {
        const t = timed(argv, rss, what, process.env, [0, 1]);
        rows.push({ what, records: n, mb, seconds: t.seconds, rssKb: t.rssKb });
      };
      add('`sysgate violations FILE --json`', [
        process.execPath,
        CLI,
        'violations',
        file,
        '--json',
      ]);
      add('`sysgate violations FILE --profile docker-default.json --json`', [
        process.execPath,
        CLI,
        'violations',
        file,
        '--profile',
        PROFILE,
        '--arch',
        'x86_64',
        '--json',
      ]);
      add(`\`${AUDIT_PIPELINE}\``, ['sh', '-c', AUDIT_PIPELINE.replace('FILE', file)]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  const table = rows.map(
    (r) =>
      `| ${r.what.replaceAll('|', '\\|')} | ${fmt(r.records)} | ${r.mb.toFixed(0)} | ${r.seconds.toFixed(2)} s | ${fmt(r.records / r.seconds)} | ${fmt(r.rssKb / 1024)} MiB |`,
  );
  return {
    markdown: [
      '## Violations: seccomp records in a kernel log',
      '',
      'Kernel log: the corpus records (x86_64 and i386, every action) re-numbered, one other kernel line',
      'after every ten records (`bench/lib-trace-data.ts`). Whole processes under `/usr/bin/time` (node',
      'start-up included); exit 1 is expected (violations found). Records/s = records / wall time.',
      '',
      `Load average at the end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')} on ${availableParallelism()} CPUs (a shared machine slows every row alike).`,
      '',
      '| Command | Records | MB | Wall | Records/s | Peak RSS |',
      '|---|---:|---:|---:|---:|---:|',
      ...table,
      '',
    ].join('\n'),
  };
}
