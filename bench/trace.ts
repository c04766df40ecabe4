/**
 * Trace bench: how fast sysgate reads strace logs and seccomp audit logs, against the shell pipelines
 * users run for the same question (which syscalls?), and what recording costs against bare runs and
 * plain strace. Everything in one run; data is generated into a temporary directory and removed.
 *
 * 1. strace -f logs at two sizes (copies of the corpus traces, re-numbered and interleaved, see
 *    lib-trace-data.ts): `ingest()` in a child node process, `sysgate generate --from`, and
 *    `grep | awk | sed | sort | uniq -c`. Throughput and peak RSS at both sizes (the constant-memory claim).
 * 2. A kernel log of seccomp audit records: the same against `grep type=1326 | grep -oE syscall= | sort | uniq -c`.
 * 3. Recording overhead for three workloads: bare, `strace -f -o /dev/null` (unpinned and pinned with
 *    taskset), `record()` and `sysgate record`; median of N runs, interleaved.
 *
 * Sizes (environment):
 * - `SYSGATE_BENCH_QUICK=1`: a small run (strace logs of 10 and 40 MB, 100k audit records, 3 runs,
 *   dd count 20000);
 * - `SYSGATE_BENCH_TRACE_MB=100,400`: strace log sizes in MB (first and last are compared for RSS);
 * - `SYSGATE_BENCH_AUDIT_RECORDS=1000000`: audit records;
 * - `SYSGATE_BENCH_RUNS=5`: runs per recording variant (median).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hostArch } from '../src/arch/host.js';
import { record } from '../src/generate/record.js';
import { BlockWriter, writeAuditLog, writeStraceLog, type GeneratedLog } from './lib-trace-data.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file runs from dist-bench/bench/). */
const REPO_ROOT = resolve(here, '../..');
const CORPUS = resolve(REPO_ROOT, 'test/fixtures/corpus/traces');
/** The CLI as installed (the bundled bin when built), else the compiled entry point. */
const CLI = existsSync(resolve(REPO_ROOT, 'dist/bin/sysgate.js'))
  ? resolve(REPO_ROOT, 'dist/bin/sysgate.js')
  : resolve(REPO_ROOT, 'dist/cli/main.js');
const LIB = pathToFileURL(resolve(REPO_ROOT, 'dist/index.js')).href;
const TIME = '/usr/bin/time';

/** The shell pipeline users run to list the syscalls of an strace -f log. */
export const STRACE_PIPELINE =
  "grep -oE '^[0-9]+ +[a-z0-9_]+\\(' FILE | awk '{print $2}' | sed 's/($//' | sort | uniq -c";
/** The same question in one mawk pass (counts per name in a hash, no sort). */
export const STRACE_MAWK =
  'mawk \'$2 ~ /^[a-z0-9_]+\\(/ { sub(/\\(.*/, "", $2); c[$2]++ } END { for (k in c) print c[k], k }\' FILE';
/** The shell pipeline users run to list the syscalls of seccomp audit records. */
export const AUDIT_PIPELINE = "grep type=1326 FILE | grep -oE 'syscall=[0-9]+' | sort | uniq -c";

/** Sizes of one bench run. */
export interface TraceBenchConfig {
  /** strace log sizes in MB. */
  readonly traceMb: readonly number[];
  /** Number of audit records. */
  readonly auditRecords: number;
  /** Runs per recording variant. */
  readonly runs: number;
  /** `count=` of the dd workload. */
  readonly ddCount: number;
  /** Whether this is the quick configuration. */
  readonly quick: boolean;
}

/** Read the bench sizes from the environment. */
export function traceBenchConfig(env: NodeJS.ProcessEnv = process.env): TraceBenchConfig {
  const quick = env.SYSGATE_BENCH_QUICK === '1';
  const num = (v: string | undefined, d: number): number => {
    const n = Number(v);
    return v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? n : d;
  };
  const mb = (env.SYSGATE_BENCH_TRACE_MB ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  return {
    traceMb: mb.length > 0 ? mb : quick ? [10, 40] : [100, 400],
    auditRecords: num(env.SYSGATE_BENCH_AUDIT_RECORDS, quick ? 100_000 : 1_000_000),
    runs: Math.round(num(env.SYSGATE_BENCH_RUNS, quick ? 3 : 5)),
    ddCount: quick ? 20_000 : 200_000,
    quick,
  };
}

/** One timed reader of a log. */
interface ReadResult {
  readonly label: string;
  readonly command: string;
  readonly seconds: number;
  readonly rssKb: number;
  readonly note: string;
}

/** Per-syscall counts a reader found. */
type Counts = Map<string, number>;

function check(r: SpawnSyncReturns<string>, what: string, ok: readonly number[] = [0]): void {
  if (r.error !== undefined) throw new Error(`${what}: ${r.error.message}`);
  if (r.status === null || !ok.includes(r.status))
    throw new Error(`${what} exited with ${r.status ?? r.signal}: ${r.stderr.slice(0, 2000)}`);
}

/**
 * Run a command under /usr/bin/time; wall seconds, peak RSS of the largest process, stdout. Exit
 * statuses other than `ok` throw.
 */
export function timed(
  argv: readonly string[],
  rssFile: string,
  what: string,
  env?: NodeJS.ProcessEnv,
  ok: readonly number[] = [0],
): { seconds: number; rssKb: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(TIME, ['-f', '%M', '-o', rssFile, ...argv], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: env ?? process.env,
  });
  const seconds = (performance.now() - t) / 1000;
  check(r, what, ok);
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  return { seconds, rssKb, stdout: r.stdout };
}

/** `uniq -c` output -> counts. */
function uniqCounts(text: string, key: (k: string) => string = (k) => k): Counts {
  const m: Counts = new Map();
  for (const l of text.split('\n')) {
    const x = /^\s*(\d+) (\S+)$/.exec(l);
    if (x?.[1] !== undefined && x[2] !== undefined) m.set(key(x[2]), Number(x[1]));
  }
  return m;
}

/** The library path (`ingest()` -> evidence) in a child node process: time inside, peak RSS, counts. */
function libraryIngest(
  file: string,
  host: string,
  reader: 'bytes' | 'lines' = 'bytes',
): ReadResult & { counts: Counts; calls: number; inFlight?: { max: number; dropped: number } } {
  const script = [
    `const { ingest } = await import(${JSON.stringify(LIB)});`,
    'const t = performance.now();',
    `const ev = await ingest({ name: process.argv[1] }, { host: ${JSON.stringify(host)}, straceReader: ${JSON.stringify(reader)} });`,
    'const ms = performance.now() - t;',
    'process.stdout.write(JSON.stringify({ ms, rss: process.resourceUsage().maxRSS, calls: ev.totals.calls,',
    '  inFlight: ev.meta.inFlight, syscalls: ev.syscalls.map((s) => [s.abi, s.name, s.nr ?? null, s.count]) }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  check(r, 'ingest child');
  const o = JSON.parse(r.stdout) as {
    ms: number;
    rss: number;
    calls: number;
    inFlight?: { max: number; dropped: number };
    syscalls: [string, string, number | null, number][];
  };
  const counts: Counts = new Map();
  for (const [abi, name, nr, n] of o.syscalls) counts.set(`${abi}:${name}:${nr ?? '?'}`, n);
  return {
    label:
      reader === 'bytes'
        ? 'sysgate library: `ingest()` -> evidence'
        : "sysgate library, line reader (`straceReader: 'lines'`, the reference)",
    command: `ingest({ name: FILE }, { host: '${host}', straceReader: '${reader}' })`,
    seconds: o.ms / 1000,
    rssKb: o.rss,
    note:
      reader === 'bytes'
        ? 'child node process; time inside it (no startup)'
        : 'decode, split lines, regex line parser: the path before the byte scanner',
    counts,
    calls: o.calls,
    ...(o.inFlight !== undefined ? { inFlight: o.inFlight } : {}),
  };
}

/** `sysgate generate --from FILE -o OUT` under /usr/bin/time. */
function cliGenerate(file: string, host: string, out: string, rssFile: string): ReadResult {
  const t = timed(
    [process.execPath, CLI, 'generate', '--from', file, '--host', host, '-o', out],
    rssFile,
    'sysgate generate',
  );
  return {
    label: 'sysgate CLI: `generate --from`',
    command: `sysgate generate --from FILE --host ${host} -o profile.json`,
    seconds: t.seconds,
    rssKb: t.rssKb,
    note: 'whole process: node startup, ingest, profile',
  };
}

/** Throughput table rows for one log. */
function rows(log: GeneratedLog, results: readonly ReadResult[]): string[] {
  const mb = log.bytes / 1e6;
  const ref = results[0]?.seconds ?? NaN;
  return results.map(
    (r) =>
      `| ${mb.toFixed(0)} MB | ${r.label} | ${r.seconds.toFixed(2)} | ${(mb / r.seconds).toFixed(1)} | ${(ref / r.seconds).toFixed(2)} | ${fmtInt(log.lines / r.seconds)} | ${(r.rssKb / 1024).toFixed(0)} MB | ${r.note} |`,
  );
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Compare two count maps; a short text of the differences. */
function diffCounts(a: Counts, b: Counts, aName: string, bName: string): string {
  const out: string[] = [];
  for (const [k, n] of a) {
    const m = b.get(k);
    if (m === undefined) out.push(`${k} only in ${aName} (${n})`);
    else if (m !== n) out.push(`${k}: ${aName} ${n}, ${bName} ${m}`);
  }
  for (const [k, n] of b) if (!a.has(k)) out.push(`${k} only in ${bName} (${n})`);
  return out.length === 0
    ? 'identical'
    : out.slice(0, 8).join('; ') + (out.length > 8 ? ` (+${out.length - 8} more)` : '');
}

/** A character device equivalent to /dev/null in `dir` (a test may have replaced /dev/null), else /dev/null. */
function nullDevice(dir: string): string {
  const p = join(dir, 'null');
  const r = spawnSync('mknod', ['-m', '666', p, 'c', '1', '3'], { stdio: 'ignore' });
  return r.status === 0 ? p : '/dev/null';
}

function straceSection(
  cfg: TraceBenchConfig,
  dir: string,
): { lines: string[]; rss: { mb: number; lib: number; cli: number; pipe: number }[] } {
  const rssFile = join(dir, 'rss');
  const table: string[] = [];
  const checks: string[] = [];
  const rss: { mb: number; lib: number; cli: number; pipe: number }[] = [];
  for (const mb of cfg.traceMb) {
    const file = join(dir, `big-${mb}.strace`);
    const g = performance.now();
    const log = writeStraceLog(file, mb * 1e6, CORPUS);
    const genS = (performance.now() - g) / 1000;
    process.stderr.write(
      `[bench] trace: ${file} ${(log.bytes / 1e6).toFixed(0)} MB, ${log.lines} lines, ${log.copies} copies (${genS.toFixed(1)} s)\n`,
    );
    const pipe = timed(
      ['sh', '-c', STRACE_PIPELINE.replace('FILE', `'${file}'`)],
      rssFile,
      'strace pipeline',
      { ...process.env, LC_ALL: 'C' },
    );
    const pipeR: ReadResult = {
      label: 'shell: `grep -oE | awk | sed | sort | uniq -c`',
      command: STRACE_PIPELINE,
      seconds: pipe.seconds,
      rssKb: pipe.rssKb,
      note: 'LC_ALL=C; RSS of its largest process',
    };
    const awk = timed(['sh', '-c', STRACE_MAWK.replace('FILE', `'${file}'`)], rssFile, 'mawk', {
      ...process.env,
      LC_ALL: 'C',
    });
    const awkR: ReadResult = {
      label: 'shell: one mawk pass',
      command: STRACE_MAWK,
      seconds: awk.seconds,
      rssKb: awk.rssKb,
      note: 'LC_ALL=C; a hash of names, no sort',
    };
    const lib = libraryIngest(file, 'x86_64');
    const ref = libraryIngest(file, 'x86_64', 'lines');
    const cli = cliGenerate(file, 'x86_64', join(dir, 'profile.json'), rssFile);
    rmSync(file, { force: true });
    table.push(...rows(log, [pipeR, awkR, lib, ref, cli]));
    if (diffCounts(lib.counts, ref.counts, 'bytes', 'lines') !== 'identical')
      throw new Error('the byte scanner and the line reader disagree');
    rss.push({ mb: log.bytes / 1e6, lib: lib.rssKb, cli: cli.rssKb, pipe: pipe.rssKb });
    // Same question, same answer? The pipeline counts entry lines (a call split into
    // unfinished/resumed has one); ours counts calls. Keys: syscall name (x86_64 only here).
    const ours: Counts = new Map();
    for (const [k, n] of lib.counts) {
      const [abi, name] = k.split(':');
      if (name !== undefined) ours.set(abi === 'x86_64' ? name : `${abi}:${name}`, n);
    }
    const theirs = uniqCounts(pipe.stdout);
    checks.push(
      `- ${(log.bytes / 1e6).toFixed(0)} MB (${fmtInt(log.lines)} lines, ${log.copies} trace copies): ${ours.size} syscalls and ${fmtInt(lib.calls)} calls found by sysgate, ${theirs.size} names and ${fmtInt([...theirs.values()].reduce((a, b) => a + b, 0))} entry lines by the pipeline; per-syscall counts: ${diffCounts(theirs, ours, 'pipeline', 'sysgate')}.`,
    );
  }
  const first = rss[0];
  const last = rss[rss.length - 1];
  const growth =
    first !== undefined && last !== undefined && last !== first
      ? [
          '',
          `**Constant memory?** Peak RSS of the library path ${(first.lib / 1024).toFixed(0)} MB at ${first.mb.toFixed(0)} MB of input, ` +
            `${(last.lib / 1024).toFixed(0)} MB at ${last.mb.toFixed(0)} MB (x${(last.lib / first.lib).toFixed(2)} for x${(last.mb / first.mb).toFixed(1)} input); ` +
            `CLI ${(first.cli / 1024).toFixed(0)} -> ${(last.cli / 1024).toFixed(0)} MB. ` +
            (last.lib <= first.lib * 1.25 && last.cli <= first.cli * 1.25
              ? 'Met: it does not grow with the input.'
              : 'NOT met: peak RSS grows with the input.'),
        ]
      : [];
  return {
    lines: [
      '### strace -f logs',
      '',
      `Logs made at bench time from copies of \`test/fixtures/corpus/traces/\` plain \`strace -f\` traces (python, node, git, signals),`,
      'each copy with its own tids, six copies interleaved in runs of 1-16 lines so unfinished/resumed pairs stay valid.',
      'The file is in the page cache for every reader.',
      '',
      '| Input | Reader | Seconds | MB/s | x pipeline speed | Lines/s | Peak RSS | Note |',
      '|---|---|---:|---:|---:|---:|---:|---|',
      ...table,
      ...growth,
      '',
      'Same answer? (independent check: the pipeline against sysgate)',
      '',
      ...checks,
      '',
      'Commands:',
      '',
      '```sh',
      `LC_ALL=C ${STRACE_PIPELINE}`,
      `LC_ALL=C ${STRACE_MAWK}`,
      'sysgate generate --from FILE --host x86_64 -o profile.json',
      '```',
      '',
      ...pendingSection(dir),
    ],
    rss,
  };
}

/**
 * Memory with calls that never resume: `n` threads each entering a read, none returning (the
 * parser keeps at most MAX_PENDING of them; the rest are counted as interrupted).
 */
function pendingSection(dir: string, n = 2_000_000): string[] {
  const file = join(dir, 'unfinished.strace');
  const w = new BlockWriter(file);
  for (let i = 0; i < n; i++) w.line(`${1000 + (i % 4_000_000)} read(3,  <unfinished ...>`);
  const log = w.close();
  const lib = libraryIngest(file, 'x86_64');
  rmSync(file, { force: true });
  return [
    `**Calls that never resume**: ${fmtInt(n)} threads each entering a \`read\` that never returns (${(log.bytes / 1e6).toFixed(0)} MB):`,
    `peak RSS ${(lib.rssKb / 1024).toFixed(0)} MB (917 MB before calls in flight were capped), ${lib.seconds.toFixed(2)} s;`,
    `${fmtInt(lib.calls)} calls counted, evidence \`meta.inFlight\` = ${JSON.stringify(lib.inFlight ?? null)}.`,
    '',
  ];
}

function auditSection(cfg: TraceBenchConfig, dir: string): string[] {
  const rssFile = join(dir, 'rss');
  const file = join(dir, 'audit.log');
  const log = writeAuditLog(file, cfg.auditRecords, resolve(CORPUS, 'seccomp'));
  process.stderr.write(`[bench] trace: ${file} ${(log.bytes / 1e6).toFixed(0)} MB\n`);
  const pipe = timed(
    ['sh', '-c', AUDIT_PIPELINE.replace('FILE', `'${file}'`)],
    rssFile,
    'audit pipeline',
    { ...process.env, LC_ALL: 'C' },
  );
  const lib = libraryIngest(file, 'x86_64');
  const cli = cliGenerate(file, 'x86_64', join(dir, 'profile.json'), rssFile);
  rmSync(file, { force: true });
  const theirs = uniqCounts(pipe.stdout, (k) => k.replace('syscall=', ''));
  const byNr = new Map<string, Set<string>>();
  let oursCalls = 0;
  for (const [k, n] of lib.counts) {
    const [abi, name, nr] = k.split(':');
    oursCalls += n;
    const s = byNr.get(nr ?? '?') ?? new Set<string>();
    s.add(`${abi}:${name}`);
    byNr.set(nr ?? '?', s);
  }
  const theirCalls = [...theirs.values()].reduce((a, b) => a + b, 0);
  const ambiguous = [...byNr.entries()].filter(([, s]) => s.size > 1);
  return [
    '### seccomp audit records',
    '',
    `${fmtInt(cfg.auditRecords)} \`type=1326\` records from the netlink, dmesg and /dev/kmsg samples in`,
    '`test/fixtures/corpus/traces/seccomp/` (x86_64 and i386 records, fresh serials and pids), one unrelated kernel line',
    'after every ten.',
    '',
    '| Input | Reader | Seconds | MB/s | x pipeline speed | Lines/s | Peak RSS | Note |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows(log, [
      {
        label: 'shell: `grep type=1326 | grep -oE syscall= | sort | uniq -c`',
        command: AUDIT_PIPELINE,
        seconds: pipe.seconds,
        rssKb: pipe.rssKb,
        note: 'LC_ALL=C; RSS of its largest process',
      },
      lib,
      cli,
    ]),
    '',
    `Same answer? The pipeline counts ${fmtInt(theirCalls)} records in ${theirs.size} distinct numbers; sysgate ${fmtInt(oursCalls)} records in ${lib.counts.size} (ABI, syscall) pairs` +
      ` (records whose number has no name in their ABI's table are left out). The pipeline merges ABIs: ` +
      (ambiguous.length === 0
        ? 'no number here means different syscalls on different ABIs.'
        : `${ambiguous.length} of its numbers are different syscalls on different ABIs (e.g. ${ambiguous
            .slice(0, 3)
            .map(([nr, s]) => `${nr} = ${[...s].join(' / ')}`)
            .join('; ')}).`),
    '',
    '```sh',
    `LC_ALL=C ${AUDIT_PIPELINE}`,
    'sysgate generate --from FILE --host x86_64 -o profile.json',
    '```',
    '',
  ];
}

/** Median of a list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

async function recordSection(cfg: TraceBenchConfig, dir: string): Promise<string[]> {
  const nul = nullDevice(dir);
  const work = join(dir, 'work');
  mkdirSync(work);
  const cpu = availableParallelism() > 1 ? String(availableParallelism() - 1) : '0';
  const host = hostArch();
  const workloads: { name: string; argv: string[]; shown: string }[] = [
    {
      name: `dd, ${fmtInt(cfg.ddCount)} one-byte copies`,
      argv: ['dd', 'if=/dev/zero', `of=${nul}`, 'bs=1', `count=${cfg.ddCount}`],
      shown: `dd if=/dev/zero of=/dev/null bs=1 count=${cfg.ddCount}`,
    },
    {
      name: 'python3 -c "import json"',
      argv: ['/usr/bin/python3', '-c', 'import json'],
      shown: "/usr/bin/python3 -c 'import json'",
    },
    {
      name: 'git init + add + commit',
      argv: [
        'sh',
        '-c',
        'rm -rf repo && mkdir repo && cd repo && git init -q && echo hi > a.txt && git add a.txt && git -c user.name=bench -c user.email=bench@example.org commit -qm msg',
      ],
      shown:
        'sh -c "rm -rf repo && mkdir repo && cd repo && git init -q && echo hi > a.txt && git add a.txt && git commit -qm msg"',
    },
  ];
  interface Variant {
    name: string;
    command: string;
    run: (argv: string[]) => Promise<number>;
  }
  const sync = (file: string, args: string[]): number => {
    const t = performance.now();
    const r = spawnSync(file, args, { cwd: work, stdio: 'ignore' });
    const ms = performance.now() - t;
    if (r.error !== undefined || r.status !== 0)
      throw new Error(
        `${file} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}`,
      );
    return ms;
  };
  let recordedCalls = 0;
  const variants: Variant[] = [
    { name: 'bare', command: 'CMD', run: (a) => Promise.resolve(sync(a[0] ?? '', a.slice(1))) },
    {
      name: 'bare node start-up (`node -e 0`)',
      command: 'node -e 0',
      run: () => Promise.resolve(sync(process.execPath, ['-e', '0'])),
    },
    {
      name: 'strace -f -o /dev/null (unpinned)',
      command: 'strace -f -o /dev/null CMD',
      run: (a) => Promise.resolve(sync('strace', ['-f', '-o', nul, ...a])),
    },
    {
      name: `taskset -c ${cpu} strace -f -o /dev/null`,
      command: `taskset -c ${cpu} strace -f -o /dev/null CMD`,
      run: (a) => Promise.resolve(sync('taskset', ['-c', cpu, 'strace', '-f', '-o', nul, ...a])),
    },
    {
      name: 'sysgate library: `record()`',
      command: `record({ argv: CMD, host: '${host}', stdio: 'pipe' })`,
      run: async (a) => {
        const t = performance.now();
        const r = await record({ argv: a, host, cwd: work, stdio: 'pipe' });
        const ms = performance.now() - t;
        if (r.exitCode !== 0) throw new Error(`record ${a.join(' ')}: exit ${r.exitCode}`);
        recordedCalls = r.evidence.totals.calls;
        return ms;
      },
    },
    {
      name: 'sysgate CLI: `record`',
      command: 'sysgate record -o profile.json -- CMD',
      run: (a) =>
        Promise.resolve(
          sync(process.execPath, [CLI, 'record', '-o', join(dir, 'rec.json'), '--', ...a]),
        ),
    },
  ];
  const out: string[] = [
    '### Recording overhead',
    '',
    `Median of ${cfg.runs} runs per variant, variants interleaved run by run. \`sysgate record\` runs`,
    `\`taskset -c ${cpu} strace -f -n -X raw -Y -e quiet=attach -o FIFO\` and parses the FIFO while the command runs (on the other CPUs);`,
    'its time includes writing the evidence and generating the profile, the CLI also node startup (about 0.1 s).',
    'Wall time as seen from the bench process (spawn included). /dev/null is a private 1:3 character device.',
    '',
    '| Workload | Variant | Median ms | x bare | x strace (unpinned) | x strace pinned | x (pinned strace + node -e 0) |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  const calls: string[] = [];
  for (const w of workloads) {
    const times: number[][] = variants.map(() => []);
    await variants[0]?.run(w.argv); // warm the page cache
    for (let r = 0; r < cfg.runs; r++)
      for (const [i, v] of variants.entries()) times[i]?.push(await v.run(w.argv));
    const med = times.map(median);
    const bare = med[0] ?? NaN;
    const node = med[1] ?? NaN;
    const strace = med[2] ?? NaN;
    const pinned = med[3] ?? NaN;
    for (const [i, v] of variants.entries()) {
      const m = med[i] ?? NaN;
      out.push(
        `| ${w.name} | ${v.name} | ${m.toFixed(0)} | ${(m / bare).toFixed(1)} | ${(m / strace).toFixed(2)} | ${(m / pinned).toFixed(2)} | ${(m / (pinned + node)).toFixed(2)} |`,
      );
    }
    calls.push(`- ${w.name}: \`${w.shown}\`, ${fmtInt(recordedCalls)} calls recorded`);
  }
  out.push('', 'Workloads:', '', ...calls, '', 'Commands (CMD is the workload):', '', '```sh');
  for (const v of variants) out.push(v.command);
  out.push('```', '');
  return out;
}

/**
 * The audit rows alone (the audit table of the section, same sizes and environment), for a change that
 * touches only the audit reader:
 * `node scripts/ensure.mjs --bench && node -e "import('./dist-bench/bench/trace.js').then((m) => console.log(m.auditOnly().join('\\n')))"`.
 */
export function auditOnly(): string[] {
  statSync(CLI);
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-audit-'));
  try {
    return auditSection(traceBenchConfig(), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run the benchmark and render its section of docs/benchmarks.md. */
export async function bench(): Promise<{ markdown: string }> {
  const cfg = traceBenchConfig();
  for (const tool of [TIME, 'strace', 'taskset', 'mknod'])
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined)
      throw new Error(`${tool} is required (Debian: time, strace, util-linux, coreutils)`);
  statSync(CLI); // built by scripts/ensure.mjs
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-trace-'));
  const load0 = loadavg()[0] ?? 0;
  try {
    const t = performance.now();
    const strace = straceSection(cfg, dir);
    const audit = auditSection(cfg, dir);
    const rec = await recordSection(cfg, dir);
    const total = (performance.now() - t) / 1000;
    const load1 = loadavg()[0] ?? 0;
    return {
      markdown: [
        '## Trace: reading strace and audit logs, recording',
        '',
        `Sizes: ${cfg.quick ? 'quick (`SYSGATE_BENCH_QUICK=1`)' : 'default'}; strace logs ${cfg.traceMb.join(' and ')} MB, ${fmtInt(cfg.auditRecords)} audit records, ${cfg.runs} runs per recording variant` +
          ` (${total.toFixed(0)} s). Change with \`SYSGATE_BENCH_TRACE_MB=100,1000\`, \`SYSGATE_BENCH_AUDIT_RECORDS=N\`,` +
          ' `SYSGATE_BENCH_RUNS=N`, or `SYSGATE_BENCH_QUICK=1` for a small run, e.g.',
        '',
        '```sh',
        'SYSGATE_BENCH_TRACE_MB=100,1000 npm run bench',
        '```',
        '',
        'Data is generated at bench time into a temporary directory (bench/lib-trace-data.ts) and removed.',
        `Load average (1 min) at the start and end of this section: ${load0.toFixed(2)} / ${load1.toFixed(2)} on ${availableParallelism()} CPUs` +
          (Math.max(load0, load1) > 0.5 ? ' (other work was running: timings are noisy).' : '.'),
        '',
        ...strace.lines,
        ...audit,
        ...rec,
      ].join('\n'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
