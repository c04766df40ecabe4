/**
 * Recording via seccomp against recording via strace, side by side in one run: the cost of one
 * system call under each recorder (native/timesyscall timing raw getppid calls), and the whole
 * `sysgate record` on dd's 200,000 one-byte copies with each recorder next to plain strace pinned to
 * one CPU. Rows are interleaved run by run; medians and ratios. Wall time and CPU time (user + system
 * of every process of the run, from /usr/bin/time) are both reported: on a shared machine wall time
 * carries the other load, CPU time is what the recording costs.
 *
 * The seccomp recorder is measured as `record --via seccomp` runs it (every call notified, no base
 * set) and, for comparison only, with the hot calls as a base set (`notifrec -a`: read, write and the
 * timed getppid run unnotified and unrecorded, which is why `record` never passes one).
 * Sizes: SYSGATE_BENCH_RUNS (default 5), SYSGATE_BENCH_DD (copies, default 200000).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { syscallNumber } from '../src/arch/index.js';
import { hostArch } from '../src/arch/host.js';
import { REPO_ROOT } from './compile.js';

const TIME = '/usr/bin/time';
const CLI = resolve(REPO_ROOT, 'dist/cli/main.js');

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** Run under /usr/bin/time: wall and CPU seconds (the run's processes, children included), stdout. */
function timed(
  argv: readonly string[],
  dir: string,
): { wall: number; cpu: number; stdout: string; stderr: string } {
  const file = join(dir, 'time.txt');
  const r = spawnSync(TIME, ['-f', '%e %U %S', '-o', file, ...argv], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.error !== undefined || r.status !== 0)
    throw new Error(`${argv.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}: ${r.stderr}`);
  const [wall, user, sys] = (readFileSync(file, 'utf8').trim().split('\n').pop() ?? '')
    .split(' ')
    .map(Number);
  return {
    wall: wall ?? NaN,
    cpu: (user ?? NaN) + (sys ?? NaN),
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

interface Row {
  readonly name: string;
  readonly command: string;
  readonly argv: readonly string[];
}

/** Run every row `runs` times, interleaved; per row the median wall and CPU seconds and the last stdout. */
function measure(
  rows: readonly Row[],
  runs: number,
  dir: string,
): { wall: number; cpu: number; stdout: string; stderr: string }[] {
  const walls = rows.map((): number[] => []);
  const cpu = rows.map((): number[] => []);
  const last = rows.map(() => ({ stdout: '', stderr: '' }));
  for (let r = 0; r < runs; r++)
    for (const [i, row] of rows.entries()) {
      const t = timed(row.argv, dir);
      walls[i]?.push(t.wall);
      cpu[i]?.push(t.cpu);
      last[i] = { stdout: t.stdout, stderr: t.stderr };
    }
  return rows.map((_, i) => ({
    wall: median(walls[i] ?? []),
    cpu: median(cpu[i] ?? []),
    stdout: last[i]?.stdout ?? '',
    stderr: last[i]?.stderr ?? '',
  }));
}

/** Run the benchmark and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const runs = Number(process.env.SYSGATE_BENCH_RUNS ?? '5');
  const copies = Number(process.env.SYSGATE_BENCH_DD ?? '200000');
  const host = hostArch();
  const cpu = String(availableParallelism() > 1 ? availableParallelism() - 1 : 0);
  const pin = ['taskset', '-c', cpu];
  const notifrec = resolve(REPO_ROOT, 'native/build/notifrec');
  const timesyscall = resolve(REPO_ROOT, 'native/build/timesyscall');
  const nr = (name: string): string => {
    const n = syscallNumber(host, name);
    if (n === undefined) throw new Error(`no ${name} on ${host}`);
    return String(n);
  };
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-bench-notif-'));
  const load0 = loadavg()[0] ?? 0;
  try {
    // 1. Per call: timesyscall's own ns per getppid, bare and under each recorder, all pinned.
    const iters = 100_000;
    const getppid = nr('getppid');
    const timing = [timesyscall, '--iters', String(iters), '--runs', '3', '--warmup', '2000'];
    const call = [...timing, Number(getppid).toString(16)];
    const perCall: Row[] = [
      { name: 'no recorder', command: `timesyscall ${getppid}`, argv: [...pin, ...call] },
      {
        name: 'strace -f -o /dev/null',
        command: 'strace -f -o /dev/null timesyscall',
        argv: [...pin, 'strace', '-f', '-o', '/dev/null', ...call],
      },
      {
        name: 'notifrec (every call notified, as `record --via seccomp`)',
        command: 'notifrec -o /dev/null -- timesyscall',
        argv: [...pin, notifrec, '-o', '/dev/null', '--', ...call],
      },
      {
        name: 'notifrec, getppid in a base set (unrecorded)',
        command: `notifrec -a ${getppid} -o /dev/null -- timesyscall`,
        argv: [...pin, notifrec, '-a', getppid, '-o', '/dev/null', '--', ...call],
      },
    ];
    const pc = measure(perCall, runs, dir).map((r) =>
      median(
        r.stdout
          .split('\n')
          .filter((l) => l.startsWith('ns '))
          .map((l) => Number(l.slice(3))),
      ),
    );
    const bare = pc[0] ?? NaN;
    const straceCost = (pc[1] ?? NaN) - bare;

    // 2. dd with one-byte copies: sysgate record with each recorder, plain strace pinned, bare.
    const dd = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${copies}`];
    const out = join(dir, 'p.json');
    const ddRows: Row[] = [
      { name: 'dd alone', command: dd.join(' '), argv: dd },
      {
        name: `plain strace pinned (taskset -c ${cpu} strace -f -o /dev/null)`,
        command: `taskset -c ${cpu} strace -f -o /dev/null ${dd.join(' ')}`,
        argv: [...pin, 'strace', '-f', '-o', '/dev/null', ...dd],
      },
      {
        name: '`sysgate record --via strace` (the default)',
        command: `sysgate record -o p.json -- ${dd.join(' ')}`,
        argv: [process.execPath, CLI, 'record', '-o', out, '--', ...dd],
      },
      {
        name: '`sysgate record --via seccomp`',
        command: `sysgate record --via seccomp -o p.json -- ${dd.join(' ')}`,
        argv: [process.execPath, CLI, 'record', '--via', 'seccomp', '-o', out, '--', ...dd],
      },
      {
        name: `notifrec alone, pinned (taskset -c ${cpu} notifrec -o /dev/null)`,
        command: `taskset -c ${cpu} notifrec -o /dev/null -- ${dd.join(' ')}`,
        argv: [...pin, notifrec, '-o', '/dev/null', '--', ...dd],
      },
      {
        name: 'notifrec alone, unpinned',
        command: `notifrec -o /dev/null -- ${dd.join(' ')}`,
        argv: [notifrec, '-o', '/dev/null', '--', ...dd],
      },
      {
        name: 'notifrec pinned, read and write in a base set (unrecorded)',
        command: `taskset -c ${cpu} notifrec -a ${nr('read')} -a ${nr('write')} -o /dev/null -- ${dd.join(' ')}`,
        argv: [
          ...pin,
          notifrec,
          '-a',
          nr('read'),
          '-a',
          nr('write'),
          '-o',
          '/dev/null',
          '--',
          ...dd,
        ],
      },
    ];
    const ddm = measure(ddRows, runs, dir);
    const recorded = /recorded (\d+) calls/.exec(ddm[3]?.stderr ?? '')?.[1] ?? '?';
    const plain = ddm[1] ?? { wall: NaN, cpu: NaN };
    const load1 = loadavg()[0] ?? 0;

    const md: string[] = [
      '## Recording via seccomp against strace (`bench/record-seccomp.ts`)',
      '',
      `Median of ${runs} interleaved runs per row, in one run of the bench; load average ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end on ${cpus().length} CPUs (other work shares the machine: compare within a table).`,
      'notifrec is the helper behind `record --via seccomp` (native/notifrec.c): every call of the',
      'workload is a seccomp user notification that notifrec receives, writes as a 64-byte record and',
      'answers with SECCOMP_USER_NOTIF_FLAG_CONTINUE. The base-set rows let the named calls run',
      'unnotified, which `record` never does: those calls would be missing from the evidence.',
      '',
      `### One call (getppid, ${iters.toLocaleString('en-US')} timed calls x 3 per process, pinned to CPU ${cpu})`,
      '',
      '| Recorder | ns per call | cost over no recorder (ns) | x strace cost |',
      '|---|---:|---:|---:|',
      ...perCall.map((row, i) => {
        const ns = pc[i] ?? NaN;
        const cost = ns - bare;
        return `| ${row.name} | ${ns.toFixed(0)} | ${i === 0 ? '-' : cost.toFixed(0)} | ${i === 0 ? '-' : (cost / straceCost).toFixed(2)} |`;
      }),
      '',
      `### dd, ${copies.toLocaleString('en-US')} one-byte copies (\`record --via seccomp\` recorded ${Number(recorded).toLocaleString('en-US')} calls)`,
      '',
      '| Variant | wall s | CPU s | wall x plain strace pinned | CPU x plain strace pinned |',
      '|---|---:|---:|---:|---:|',
      ...ddRows.map((row, i) => {
        const m = ddm[i] ?? { wall: NaN, cpu: NaN };
        return `| ${row.name} | ${m.wall.toFixed(2)} | ${m.cpu.toFixed(2)} | ${(m.wall / plain.wall).toFixed(2)} | ${(m.cpu / plain.cpu).toFixed(2)} |`;
      }),
      '',
      'Reproduce (after `npm run build`; the rows as run, CPU time from `/usr/bin/time -f "%e %U %S"`):',
      '',
      '```sh',
      `npm run build && npx tsc -p tsconfig.bench.json && SYSGATE_BENCH_RUNS=${runs} node -e "import('./dist-bench/bench/record-seccomp.js').then((m) => console.log(m.bench().markdown))"`,
      '# the rows one by one:',
      `taskset -c ${cpu} native/build/timesyscall --iters ${iters} --runs 3 ${Number(getppid).toString(16)}`,
      ...perCall
        .slice(1)
        .map(
          (r) =>
            `taskset -c ${cpu} ${r.command.replace('timesyscall', `native/build/timesyscall --iters ${iters} --runs 3 ${Number(getppid).toString(16)}`).replace(/^notifrec/, 'native/build/notifrec')}`,
        ),
      ...ddRows.map((r) => r.command.replace('notifrec', 'native/build/notifrec')),
      '```',
      '',
    ];
    return { markdown: md.join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
