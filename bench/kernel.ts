/**
 * Kernel timing benchmark: the cost of one system call on the real kernel under no filter, a minimal
 * filter, libseccomp's filters at optimize 1 and 2 and sysgate's filter, all for the moby default
 * profile (x86_64 host, the filters the compile bench writes to `dist-bench/filters/`). Measured by
 * native/timesyscall (seccomp(2), then N raw calls timed with clock_gettime), pinned with taskset, in
 * interleaved rounds so that every filter sees the same machine noise; best and median per cell.
 *
 * The kernel's constant-action cache (Linux >= 5.11) skips the filter for argument-independent ALLOWs,
 * so the cases are chosen to run the filter: `personality(0xffffffff)` (an argument-dependent rule in
 * the moby default) and `getrandom(NULL, 0, 0)` with a leading `ld args[0]` prepended to every
 * program (the cache cannot emulate it), plus plain `getrandom` for the cache hit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { compileProgram, execute } from '../src/bpf/emulate.js';
import { decodeProgram, encodeProgram, stmt, type Instruction } from '../src/bpf/instruction.js';
import { SECCOMP_RET_ALLOW } from '../src/bpf/seccomp.js';
import { REPO_ROOT, bench as compileBench } from './compile.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** BPF_LD | BPF_W | BPF_ABS. */
const LD_W_ABS = 0x20;
/** BPF_RET | BPF_K. */
const RET_K = 0x06;
/** Offset of args[0] in seccomp_data. */
const ARG0 = 16;

const NR_PERSONALITY = 135;
const NR_GETRANDOM = 318;

/** Rounds (each runs every cell once) and, per process, runs x iterations. */
const ROUNDS = 11;
const RUNS = 20;
const ITERS = 20_000;

/** One timed system call. */
interface Case {
  readonly key: string;
  readonly title: string;
  readonly nr: number;
  readonly args: readonly bigint[];
  /** Prepend `ld args[0]` to every filter (defeats the kernel cache). */
  readonly prefix: boolean;
}

const CASES: readonly Case[] = [
  {
    key: 'personality',
    title: 'personality(0xffffffff): argument-dependent rule, never cached',
    nr: NR_PERSONALITY,
    args: [0xffffffffn],
    prefix: false,
  },
  {
    key: 'getrandom-defeated',
    title: 'getrandom(NULL, 0, 0) with `ld args[0]` prepended (cache defeated)',
    nr: NR_GETRANDOM,
    args: [],
    prefix: true,
  },
  {
    key: 'getrandom-cached',
    title: 'getrandom(NULL, 0, 0), plain (kernel cache hit)',
    nr: NR_GETRANDOM,
    args: [],
    prefix: false,
  },
];

/** One filter configuration. */
interface Config {
  readonly name: string;
  /** The program, or undefined for no filter. */
  readonly program?: Instruction[];
}

/** Median of a list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** Whether a program is on PATH. */
function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The filters of the compile bench (regenerated when missing). */
function filters(): Record<string, string> {
  const dir = resolve(REPO_ROOT, 'dist-bench/filters');
  const want = ['libseccomp-opt1', 'libseccomp-opt2', 'sysgate'];
  if (want.every((k) => existsSync(join(dir, `${k}.bpf`)))) {
    return Object.fromEntries(want.map((k) => [k, join(dir, `${k}.bpf`)]));
  }
  return { ...compileBench().filters };
}

/** Run timesyscall once; returns the last call's return value and ns per call of each run. */
function timeOnce(
  tool: string,
  pin: readonly string[],
  filterPath: string | undefined,
  c: Case,
): { ret: string; ns: number[] } {
  const argv = [
    ...pin,
    tool,
    ...(filterPath !== undefined ? ['--filter', filterPath] : []),
    '--runs',
    String(RUNS),
    '--iters',
    String(ITERS),
    c.nr.toString(16),
    ...c.args.map((a) => a.toString(16)),
  ];
  const [cmd, ...rest] = argv;
  const r = spawnSync(cmd ?? tool, rest, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const ret = lines[0]?.replace(/^ret /, '') ?? '?';
  const ns = lines.slice(1).map((l) => Number(l.replace(/^ns /, '')));
  return { ret, ns };
}

/** The kernel timing bench (run by bench/run.ts after the compile bench). */
export function bench(): { markdown: string } {
  const tool = resolve(REPO_ROOT, 'native/build/timesyscall');
  if (!existsSync(tool)) {
    const r = spawnSync('make', ['-s', '-C', resolve(REPO_ROOT, 'native')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make -C native failed');
  }
  const cpu = Math.max(0, cpus().length - 1);
  const pin = has('taskset') ? ['taskset', '-c', String(cpu)] : [];

  const paths = filters();
  const load = (p: string | undefined): Instruction[] => {
    if (p === undefined) throw new Error('filter missing');
    return decodeProgram(new Uint8Array(readFileSync(p)), 'host');
  };
  const configs: Config[] = [
    { name: 'no filter' },
    {
      name: 'minimal filter (`ret ALLOW`)',
      program: [stmt(RET_K, SECCOMP_RET_ALLOW)],
    },
    {
      name: 'libseccomp 2.5.4 optimize 1 (runc 1.1) + runc stub',
      program: load(paths['libseccomp-opt1']),
    },
    {
      name: 'libseccomp 2.5.4 optimize 2 (runc >= 1.2) + runc stub',
      program: load(paths['libseccomp-opt2']),
    },
    { name: 'sysgate', program: load(paths.sysgate) },
  ];

  // Per (config, case): the file to load and the instructions the filter executes for the call.
  const dir = resolve(REPO_ROOT, 'dist-bench/filters/timing');
  mkdirSync(dir, { recursive: true });
  const cells = configs.map((cfg, ci) =>
    CASES.map((c) => {
      if (cfg.program === undefined) return { path: undefined, executed: 0 };
      const program = c.prefix ? [stmt(LD_W_ABS, ARG0), ...cfg.program] : cfg.program;
      const path = join(dir, `${ci}-${c.key}.bpf`);
      writeFileSync(path, encodeProgram(program, 'host'));
      const args = [0, 1, 2, 3, 4, 5].map((i) => c.args[i] ?? 0n);
      const r = execute(
        compileProgram(program),
        {
          nr: c.nr,
          arch: AUDIT_ARCH_X86_64,
          instructionPointer: 0n,
          args: args as unknown as [bigint, bigint, bigint, bigint, bigint, bigint],
        },
        'host',
      );
      if (r.ret >>> 0 !== SECCOMP_RET_ALLOW) {
        throw new Error(`${cfg.name} does not allow ${c.key} (0x${r.ret.toString(16)})`);
      }
      return { path, executed: r.executed };
    }),
  );

  const samples = configs.map(() => CASES.map((): number[] => []));
  const rets = CASES.map(() => new Set<string>());
  const load0 = loadavg()[0] ?? 0;
  const t0 = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    configs.forEach((_, ci) => {
      CASES.forEach((c, k) => {
        const cell = cells[ci]?.[k];
        const r = timeOnce(tool, pin, cell?.path, c);
        samples[ci]?.[k]?.push(...r.ns);
        rets[k]?.add(r.ret);
      });
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  // Every filter must let the call through unchanged: one return value per case across all configs.
  CASES.forEach((c, k) => {
    if ((rets[k]?.size ?? 0) !== 1)
      throw new Error(
        `${c.key}: return values differ between filters: ${[...(rets[k] ?? [])].join(', ')}`,
      );
  });

  const f1 = (x: number): string => x.toFixed(1);
  const header = [
    '| Filter | ' +
      CASES.map((c) => `${c.key}: best / median ns (instructions)`).join(' | ') +
      ' |',
    '|---|' + CASES.map(() => '---:').join('|') + '|',
  ];
  const rows = configs.map(
    (cfg, ci) =>
      `| ${cfg.name} | ` +
      CASES.map((_, k) => {
        const s = samples[ci]?.[k] ?? [];
        const ex = cells[ci]?.[k]?.executed ?? 0;
        return `${f1(Math.min(...s))} / ${f1(median(s))} (${cfg.program === undefined ? '-' : ex})`;
      }).join(' | ') +
      ' |',
  );
  const markdown = [
    '## Kernel timing: one system call under each filter (moby default, x86_64 host)',
    '',
    "The compile bench's filters (`dist-bench/filters/*.bpf`: libseccomp at optimize 1 and 2 with runc's stub, and",
    "sysgate's), loaded with seccomp(2) by `native/timesyscall`, which then issues the call with a raw `syscall`",
    `instruction ${ITERS} times per run and divides the clock_gettime interval. ${ROUNDS} interleaved rounds x ${RUNS} runs`,
    `per cell${pin.length > 0 ? `, pinned with \`taskset -c ${cpu}\`` : ' (taskset not found: not pinned)'}; ${f1(seconds)} s in all;`,
    `load average at the start ${load0.toFixed(2)} on ${cpus().length} CPUs. Compare the best values: the medians carry whatever else`,
    'the machine was running at the time.',
    'Instructions: executed by the filter for that call (cBPF emulator), prefix included.',
    '',
    ...CASES.map((c) => `- \`${c.key}\`: ${c.title}.`),
    '',
    ...header,
    ...rows,
    '',
    'Reproduce one cell by hand (after `npm run bench`, which builds the tool and writes the filters):',
    '',
    '```sh',
    `taskset -c ${cpu} native/build/timesyscall --filter dist-bench/filters/sysgate.bpf ${NR_PERSONALITY.toString(16)} ffffffff`,
    `taskset -c ${cpu} native/build/timesyscall --filter dist-bench/filters/libseccomp-opt1.bpf ${NR_PERSONALITY.toString(16)} ffffffff`,
    '```',
    '',
  ].join('\n');
  return { markdown };
}
