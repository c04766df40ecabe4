/**
 * Argument-heavy profiles: allowlists of `ioctl` request values (200 and 2,000) and profiles of 1,000
 * and 3,000 two-condition rules, sysgate against libseccomp 2.5.4 (python3-seccomp) in one run:
 * program length, worst path over the allowed values (cBPF emulator), kernel time per ioctl
 * (native/timesyscall, interleaved rounds, pinned), compile time, and the time of validate's estimate
 * of libseccomp's length (the libseccomp port, libseccomp-size.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { archInfo } from '../src/arch/arches.js';
import { executeWords, seccompDataWords } from '../src/bpf/emulate.js';
import { encodeProgram, type Instruction } from '../src/bpf/instruction.js';
import { validate } from '../src/bpf/validate.js';
import { SECCOMP_RET_ALLOW } from '../src/bpf/seccomp.js';
import { compileProfile } from '../src/compile/compile.js';
import { combineStacked, decide } from '../src/compile/decide.js';
import { libseccompSize } from '../src/compile/libseccomp-size.js';
import type { ModelProfile } from '../src/compile/build.js';
import { REPO_ROOT, libseccompBuild, withRuncStub } from './compile.js';

const HOST = 'x86_64' as const;
const NR_IOCTL = 16;
/** An fd never open in the timing process: every allowed ioctl fails with EBADF, unfiltered too. */
const BAD_FD = 1000n;
const ROUNDS = 7;
const RUNS = 10;
const ITERS = 20_000;

/** An x86_64-only profile: a base allowlist plus `rules`. */
function profile(rules: ModelProfile['syscalls']): ModelProfile {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      {
        names: ['read', 'write', 'exit_group', 'exit', 'brk', 'mmap', 'munmap'],
        action: 'SCMP_ACT_ALLOW',
        args: [],
        pointer: '/syscalls/0',
      },
      ...rules,
    ],
  };
}

/** `n` allowed ioctl requests (TTY-like values, every third one). */
function ioctlValues(n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => BigInt(0x5400 + 3 * i));
}

function ioctlProfile(values: readonly bigint[]): ModelProfile {
  return profile(
    values.map((v, i) => ({
      names: ['ioctl'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 1, op: 'SCMP_CMP_EQ', value: v, valueTwo: 0n }],
      pointer: `/syscalls/${i + 1}`,
    })),
  );
}

/** `n` socket rules, each `arg0 == i && arg1 == 7i + 1`. */
function twoConditionProfile(n: number): ModelProfile {
  return profile(
    Array.from({ length: n }, (_, i) => ({
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [
        { index: 0, op: 'SCMP_CMP_EQ', value: BigInt(i), valueTwo: 0n },
        { index: 1, op: 'SCMP_CMP_EQ', value: BigInt(7 * i + 1), valueTwo: 0n },
      ],
      pointer: `/syscalls/${i + 1}`,
    })),
  );
}

/** Worst and mean instructions executed over ioctl(BAD_FD, v) for every allowed v (all filters run). */
function ioctlPath(
  filters: readonly (readonly Instruction[])[],
  values: readonly bigint[],
  plan?: Parameters<typeof decide>[0],
): { worst: number; mean: number } {
  let worst = 0;
  let sum = 0;
  for (const v of values) {
    const d = {
      nr: NR_IOCTL,
      arch: archInfo(HOST).auditArch,
      instructionPointer: 0n,
      args: [BAD_FD, v, 0n, 0n, 0n, 0n] as const,
    };
    const words = seccompDataWords(d, 'little');
    let executed = 0;
    const rets: number[] = [];
    for (const f of filters) {
      const r = executeWords(f, words);
      executed += r.executed;
      rets.push(r.ret);
    }
    if (combineStacked(rets) !== SECCOMP_RET_ALLOW)
      throw new Error(`ioctl 0x${v.toString(16)} refused`);
    if (plan !== undefined && decide(plan, d).value !== SECCOMP_RET_ALLOW)
      throw new Error('the model refuses an allowed value');
    worst = Math.max(worst, executed);
    sum += executed;
  }
  return { worst, mean: sum / values.length };
}

/** Milliseconds of wall and CPU time of `f`, best of `reps` runs (after one warm-up). */
function timed<T>(f: () => T, reps: number): { wall: number; cpu: number; value: T } {
  let value = f();
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = f();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu, value };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

/** Whether a program is on PATH. */
function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const f1 = (n: number): string => n.toFixed(1);
const f0 = (n: number): string => n.toFixed(0);

/** Run the benchmark and render its section of docs/benchmarks.md. */
export function bench(): { markdown: string } {
  const lines: string[] = [
    '## Argument-heavy profiles: ioctl allowlists and thousands of two-condition rules (x86_64 host)',
    '',
    "Profiles made at bench time (bench/args.ts): a base allowlist plus N rules `ioctl` with `args[1] == 0x5400 + 3i`, or N rules `socket` with `args[0] == i && args[1] == 7i + 1`, x86_64 only, default ERRNO. libseccomp 2.5.4 through python3-seccomp (the oracle module), runc's ENOSYS stub prepended as runc loads it. Path: instructions executed (cBPF emulator) for `ioctl(1000, v, 0)` over every allowed v, every filter of a stack counted.",
    '',
    '### ioctl allowlists',
    '',
    '| Values | Filter | Length | Worst path | Mean path | Kernel ns per ioctl, best / median (the value libseccomp optimize 1 reaches last) |',
    '|---:|---|---:|---:|---:|---:|',
  ];
  const tool = resolve(REPO_ROOT, 'native/build/timesyscall');
  if (!existsSync(tool)) {
    const r = spawnSync('make', ['-s', '-C', resolve(REPO_ROOT, 'native')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make -C native failed');
  }
  const cpu = Math.max(0, cpus().length - 1);
  const pin = has('taskset') ? ['taskset', '-c', String(cpu)] : [];
  const dir = resolve(REPO_ROOT, 'dist-bench/filters/args');
  mkdirSync(dir, { recursive: true });
  const load0 = loadavg()[0] ?? 0;
  for (const n of [200, 2000]) {
    const values = ioctlValues(n);
    const resolved = ioctlProfile(values);
    const ours = compileProfile(resolved, { arch: HOST, stats: false, split: true });
    for (const f of ours.filters) validate(f);
    const lib1 = withRuncStub(ours.plan, libseccompBuild(resolved, 1, 3).program);
    const lib2 = withRuncStub(ours.plan, libseccompBuild(resolved, 2, 3).program);
    const rows: { name: string; filters: Instruction[][] }[] = [
      { name: 'libseccomp 2.5.4 optimize 1 (runc 1.1) + runc stub', filters: [lib1] },
      { name: 'libseccomp 2.5.4 optimize 2 (runc >= 1.2) + runc stub', filters: [lib2] },
      {
        name: `sysgate${ours.filters.length > 1 ? ` (${ours.filters.length} stacked filters)` : ''}`,
        filters: ours.filters,
      },
    ];
    // Kernel time: ioctl(1000, v) under each filter, interleaved rounds, for the value whose path is
    // longest in libseccomp's optimize-1 program (what a workload hitting it feels).
    const pathOf = (filters: readonly (readonly Instruction[])[], v: bigint): number =>
      ioctlPath(filters, [v]).worst;
    let last = values[0] ?? 0n;
    for (const v of values) if (pathOf([lib1], v) > pathOf([lib1], last)) last = v;
    const configs = [
      { name: 'no filter', files: [] as string[] },
      ...rows.map((r, i) => {
        const files = r.filters.map((f, j) => {
          const p = join(dir, `ioctl${n}-${i}-${j}.bpf`);
          writeFileSync(p, encodeProgram(f, 'host'));
          return p;
        });
        return { name: r.name, files };
      }),
    ];
    const samples = configs.map((): number[] => []);
    const rets = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      configs.forEach((c, ci) => {
        const argv = [
          ...pin,
          tool,
          ...c.files.flatMap((p) => ['--filter', p]),
          '--runs',
          String(RUNS),
          '--iters',
          String(ITERS),
          NR_IOCTL.toString(16),
          BAD_FD.toString(16),
          last.toString(16),
        ];
        const [cmd, ...rest] = argv;
        const r = spawnSync(cmd ?? tool, rest, { encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
        const out = r.stdout.trim().split('\n');
        rets.add(out[0] ?? '?');
        samples[ci]?.push(...out.slice(1).map((l) => Number(l.replace(/^ns /, ''))));
      });
    }
    if (rets.size !== 1)
      throw new Error(`ioctl returns differ between filters: ${[...rets].join(', ')}`);
    const ns = (ci: number): string => {
      const s = samples[ci] ?? [];
      return `${f1(Math.min(...s))} / ${f1(median(s))}`;
    };
    lines.push(`| ${n} | no filter | - | - | - | ${ns(0)} |`);
    rows.forEach((r, i) => {
      const p = ioctlPath(r.filters, values, i === 2 ? ours.plan : undefined);
      const len = r.filters.map((f) => f.length).join(' + ');
      lines.push(
        `| ${n} | ${r.name} | ${len} | ${p.worst} | ${f1(p.mean)} | ${ns(i + 1)} (${pathOf(r.filters, last)} instructions, request 0x${last.toString(16)}) |`,
      );
    });
  }
  lines.push(
    '',
    `Kernel: \`native/timesyscall\` loads the filters (all of a stack) with seccomp(2) and times ${ITERS} raw \`ioctl(1000, v, 0)\` calls per run (EBADF, the same answer under every filter); ${ROUNDS} interleaved rounds x ${RUNS} runs per cell${pin.length > 0 ? `, pinned with \`taskset -c ${cpu}\`` : ''}; load average at the start ${load0.toFixed(2)} on ${cpus().length} CPUs.`,
    '',
    '### Compile time and the libseccomp length estimate',
    '',
    '| Rules | sysgate compile: wall / CPU ms | sysgate program | libseccomp export (python3-seccomp, optimize 1): ms | libseccomp length, optimize 1 / 2, stub included | validate estimate: wall / CPU ms | estimate = real length? |',
    '|---:|---:|---|---:|---:|---:|---|',
  );
  for (const n of [1000, 3000]) {
    const resolved = twoConditionProfile(n);
    const c = timed(() => compileProfile(resolved, { arch: HOST, stats: false, split: true }), 2);
    const est = timed(() => libseccompSize(resolved, { arch: HOST }), 2);
    const lib1 = libseccompBuild(resolved, 1, 1);
    const lib2 = libseccompBuild(resolved, 2, 1);
    const real1 = withRuncStub(c.value.plan, lib1.program).length;
    const real2 = withRuncStub(c.value.plan, lib2.program).length;
    const same = est.value.level1 === real1 && est.value.level2 === real2;
    const prog = c.value.filters;
    lines.push(
      `| ${n} | ${f0(c.wall)} / ${f0(c.cpu)} | ${prog.length > 1 ? `${prog.length} stacked filters, ` : ''}${prog.map((f) => f.length).join(' + ')} | ${f0(lib1.ms)} | ${real1} / ${real2} | ${f0(est.wall)} / ${f0(est.cpu)} | ${same ? 'yes' : `no (${est.value.level1} / ${est.value.level2})`} |`,
    );
  }
  lines.push(
    '',
    'Both libseccomp programs pass BPF_MAXINSNS (4096): runc would fail to start the container, and `sysgate validate` says so (warning `libseccomp-too-long`). sysgate splits its own program into stacked filters only for its own loaders (bwrap `--add-seccomp-fd`, the prober); runc, crun and Docker always build their filter with libseccomp. Compile: plan (libseccomp port, lift) + codegen + split + validate, best of 2 after a warm-up, in-process. Reproduce: `npm run bench` (this section: bench/args.ts).',
    '',
  );
  return { markdown: lines.join('\n') };
}
