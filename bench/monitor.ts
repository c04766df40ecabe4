/**
 * Monitor bench: records per second `sysgate monitor` parses, attributes, explains (every record
 * decided by Docker's default profile through the decision model) and counts, CPU time per 1,000
 * records, and peak memory at two sizes (flat: series are kept, records are not). The monitor reads
 * an auditd log (`--source auditd --from-start`) written beforehand, so the kernel's pace is out of
 * the measure; it is stopped (SIGTERM) once its `/metrics` count reaches the file's. Next to it, in
 * the same run, the grep pipeline users run on the same file (which neither names syscalls per
 * arch, nor tells outcomes apart, nor knows containers).
 *
 * Sizes: `SYSGATE_BENCH_MONITOR_RECORDS=100000,1000000`; `SYSGATE_BENCH_QUICK=1` runs 20,000 and
 * 200,000.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlockWriter } from './lib-trace-data.js';
import { timed } from './trace.js';

/** The grep users run on auditd's log (RAW names the type `SECCOMP`). */
const GREP_PIPELINE =
  "grep -E 'type=(1326|SECCOMP) ' FILE | grep -oE 'syscall=[0-9]+' | sort | uniq -c";

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../..');
const CLI = resolve(REPO_ROOT, 'dist/cli/main.js');
const PROFILE = resolve(REPO_ROOT, 'examples/docker-default.json');

/** The sizes of this run. */
export function monitorSizes(env: NodeJS.ProcessEnv = process.env): number[] {
  const given = env.SYSGATE_BENCH_MONITOR_RECORDS;
  if (given !== undefined) return given.split(',').map(Number);
  return env.SYSGATE_BENCH_QUICK === '1' ? [20_000, 200_000] : [100_000, 1_000_000];
}

/** Calls a confined workload makes (x86_64 numbers) and the outcomes a Phase A twin records. */
const CALLS: readonly (readonly [nr: number, code: string])[] = [
  [110, '0x7ffc0000'], // getppid LOG
  [39, '0x7ffc0000'], // getpid LOG
  [165, '0x80000000'], // mount KILL_PROCESS
  [101, '0x50001'], // ptrace ERRNO
  [41, '0x7ffc0000'], // socket LOG
  [1, '0x7ffc0000'], // write LOG
];

/** An auditd RAW log of `n` seccomp records, one other record after every ten. */
function writeLog(file: string, n: number): void {
  const w = new BlockWriter(file);
  const pid = process.pid; // a live process: the monitor reads its cgroup once
  for (let i = 0; i < n; i++) {
    const [nr, code] = CALLS[i % CALLS.length] ?? [0, '0x7ffc0000'];
    const ms = String(i % 1000).padStart(3, '0');
    const t = 1796590000 + Math.floor(i / 1000);
    w.line(
      `type=SECCOMP msg=audit(${t}.${ms}:${1000 + i}): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=${pid} comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x7f3a1c2d4e5f code=${code}`,
    );
    if (i % 10 === 9)
      w.line(`type=SERVICE_START msg=audit(${t}.${ms}:${1000 + i}): pid=1 uid=0 unit=cron`);
  }
  w.close();
}

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly rssKb: number;
}

function procStat(pid: number): { cpu: number; hwmKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100; // USER_HZ
  const cpu = (Number(f[11]) + Number(f[12])) / tick;
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpu, hwmKb: Number(hwm ?? 0) };
}

/** Run the monitor over `file` until it has counted `n` records. */
async function monitorRun(file: string, n: number): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      CLI,
      'monitor',
      '--source',
      'auditd',
      '--audit-log',
      file,
      '--from-start',
      '--listen',
      '127.0.0.1:0',
      '--no-lookup',
      '--profile',
      PROFILE,
      '--arch',
      'x86_64',
      '--log',
      '/dev/null',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const closed = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      r(code);
    }),
  );
  try {
    let url: string | undefined;
    let done = false;
    let last = { cpu: 0, hwmKb: 0 };
    while (!done) {
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) throw new Error(`monitor ended: ${stderr}`);
      url ??= /metrics on (http:\/\/\S+\/metrics)/.exec(stderr)?.[1];
      if (url === undefined) continue;
      const text = await (await fetch(url)).text();
      const counted = Number(/^seccomp_monitor_records_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
      last = procStat(child.pid ?? 0);
      done = counted >= n;
    }
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, cpuSeconds: last.cpu, rssKb: last.hwmKb };
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

/** Run the bench and render its section of docs/benchmarks.md. */
export async function bench(): Promise<{ markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-monitor-'));
  const rows: string[] = [];
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  try {
    for (const n of monitorSizes()) {
      const file = join(dir, `audit-${n}.log`);
      writeLog(file, n);
      const mb = statSync(file).size / 1e6;
      const m = await monitorRun(file, n);
      rows.push(
        `| \`sysgate monitor --source auditd --profile docker-default.json\` | ${fmt(n)} | ${mb.toFixed(0)} | ${m.seconds.toFixed(2)} s | ${fmt(n / m.seconds)} | ${((m.cpuSeconds / n) * 1000 * 1000).toFixed(1)} ms | ${fmt(m.rssKb / 1024)} MiB |`,
      );
      const g = timed(['sh', '-c', GREP_PIPELINE.replace('FILE', file)], join(dir, 'rss'), 'grep');
      rows.push(
        `| \`${GREP_PIPELINE.replaceAll('|', '\\|')}\` | ${fmt(n)} | ${mb.toFixed(0)} | ${g.seconds.toFixed(2)} s | ${fmt(n / g.seconds)} | | ${fmt(g.rssKb / 1024)} MiB |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    markdown: [
      '## Monitor: records parsed, attributed, explained and counted (`bench/monitor.ts`)',
      '',
      'An auditd RAW log of seccomp records (six calls and outcomes in turn, one other record after every',
      "ten) read by `sysgate monitor --source auditd --from-start`, every record decided by Docker's",
      'default profile, counted until `/metrics` shows them all (node start-up included). CPU = user +',
      'system time of the monitor process per 1,000 records; memory = its peak RSS (VmHWM). The grep',
      'pipeline on the same file, in the same run, for reference.',
      '',
      `Load average at the end: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')} on ${availableParallelism()} CPUs (a shared machine slows every row alike).`,
      '',
      '| Command | Records | MB | Wall | Records/s | CPU per 1,000 | Peak RSS |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      'Reproduce: `npm run build && npx tsc -p tsconfig.bench.json && node -e "import(\'./dist-bench/bench/monitor.js\').then(async (m) => console.log((await m.bench()).markdown))"`',
      '',
    ].join('\n'),
  };
}
