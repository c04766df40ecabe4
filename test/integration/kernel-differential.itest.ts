/**
 * Differential test of the compiler against the running kernel: random profiles are compiled with
 * `compileProfile` for an x86_64 host (x86_64 + x86 + x32 sections, and x86_64 alone), loaded with
 * bubblewrap, and probed with the static prober (native/prober.c) issuing real system calls. For every
 * probe the kernel's outcome (return value, errno, TRAP, SIGSYS kill) must be the one implied by
 * `decide(plan)`, and the emulator must return the same value as `decide` on the same input.
 *
 * The random profiles only name syscalls that are harmless with any of the argument values used
 * (invalid pointers and fds: an ALLOW ends in EFAULT, EBADF, ESPIPE, a socket, ...), and most ERRNO
 * rules carry a distinctive errno (2000 + k, 2500 + k through runc's 16-bit truncation of 68036 + k, or 0
 * which fakes success; the rest runc's EPERM), so the kernel's answer names the action. What an ALLOW
 * does is measured once per distinct probe without any filter (`kernelBaseline`); on a kernel without
 * x32 support an allowed x32 call ends in ENOSYS, like TRACE without a tracer.
 *
 * The filter is loaded by `bwrap --seccomp FD` when the profile lets the prober start under it (its
 * start-up syscalls are allowed), else by the prober in each forked child right before its probe (same
 * sandbox, same kernel path). The moby default profile, compiled by us, is checked on the same kind of
 * probes. Runs when CI=true (and then fails without bwrap or the prober), else only where bwrap exists.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { multiplexerFor, syscallNumber } from '../../src/arch/syscalls.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import type { ArchName } from '../../src/arch/types.js';
import { compileProgram, execute } from '../../src/bpf/emulate.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { SECCOMP_RET_ALLOW, actionKind, type SeccompData } from '../../src/bpf/seccomp.js';

/** The six arguments of `seccomp_data`. */
type Args6 = SeccompData['args'];
/** Six u64 arguments from a list (missing ones are 0), each cut to `width` bits. */
function args6(values: readonly bigint[], width = 64): Args6 {
  const a = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(width, values[i] ?? 0n));
  return a as unknown as Args6;
}
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfile } from '../../src/profile/parse.js';
import { parseKernelRelease, resolveProfile } from '../../src/profile/resolve.js';
import type { ActionName, ArgCondition } from '../../src/profile/types.js';
import { formatOutcome, type Probe, type ProbeOutcome } from '../../src/run/probe-format.js';
import { predictOutcome } from '../../src/run/predict.js';
import { runProbes } from '../../src/run/probe.js';
import { ensureProber, hasTool, kernelBaseline, probeForData } from '../oracle/kernel.js';
import { compileProfile } from '../../src/compile/compile.js';
import { combineStacked, decide } from '../../src/compile/decide.js';
import { type ModelProfile, type ModelSyscallRule } from '../../src/compile/build.js';
import type { FilterPlan } from '../../src/compile/plan.js';
import { interestingValues as interesting, rng, HARNESS, OPS } from './probe-values.testkit.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
/** The flags of glibc's fork(): CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD. */
const CLONE_FORK_FLAGS = 0x01200011n;

/**
 * Syscalls probed with arbitrary values from the argument pool: each is harmless in a forked child
 * whatever the arguments (the pool holds no mapped address), and its unfiltered outcome is the same in
 * every sandbox run (no pids, no time). Not `read`: the sandbox's stdout and stderr are sockets, on
 * which a read blocks.
 */
const PROBED = [
  'open',
  'stat',
  'close',
  'lseek',
  'personality',
  'socket',
  'umask',
  'getcwd',
  'uname',
  'sched_yield',
  'getuid',
  'access',
  'getrandom',
  'nanosleep',
  'statmount',
  'listmount',
] as const;

/** Names a rule may carry besides the probed ones (unknown to libseccomp 2.5.4, or not a syscall). */
const EXTRA_NAMES = ['not_a_syscall', 'mseal'];

/** Comparison constants: none of them, nor the probe values derived from them, is a mapped address. */
const VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  5n,
  8n,
  10n,
  0xfn,
  0x10n,
  0x26n,
  0x28n,
  0x20000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x100000005n,
  0xffffffff00000000n,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
];

const argArb: fc.Arbitrary<ArgCondition> = fc.record({
  index: fc.integer({ min: 0, max: 2 }),
  op: fc.constantFrom(...OPS),
  value: fc.constantFrom(...VALUES),
  valueTwo: fc.constantFrom(...VALUES),
});

/** Actions; ERRNO data is set per rule below so that each rule has its own errno. */
const ACTIONS: readonly ActionName[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
];

/** The distinctive errno of rule `i`: 2000 + i, 0 (faked success), or one that wraps through int16. */
function errnoFor(i: number, choice: number): number | undefined {
  switch (choice) {
    case 0:
      return 2000 + i;
    case 1:
      return 0;
    case 2:
      return 65536 + 2500 + i; // runc keeps the low 16 bits: 2500 + i
    default:
      return undefined; // runc's default, EPERM
  }
}

const ruleArb = (i: number): fc.Arbitrary<ModelSyscallRule> =>
  fc
    .record({
      names: fc.uniqueArray(fc.constantFrom(...PROBED, ...EXTRA_NAMES), {
        minLength: 1,
        maxLength: 3,
      }),
      action: fc.constantFrom(...ACTIONS),
      errno: fc.integer({ min: 0, max: 5 }),
      args: fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 3, arbitrary: fc.array(argArb, { minLength: 1, maxLength: 3 }) },
      ),
    })
    .map((r) => {
      const errnoRet = errnoFor(i, r.errno);
      return {
        names: r.names,
        action: r.action,
        ...(errnoRet !== undefined ? { errnoRet } : {}),
        args: r.args,
        pointer: `/syscalls/${i}`,
      };
    });

/**
 * A random profile. It always starts by allowing exit and exit_group: the prober's forked child calls
 * them after its probe, and a SIGSYS there would be reported in place of the probe's own result (the
 * prober records a TRAP even after the probe finished). `harness` then allows the prober's start-up
 * syscalls, so that `bwrap --seccomp` can load the filter.
 */
const profileArb: fc.Arbitrary<ModelProfile> = fc
  .record({
    def: fc.constantFrom<ActionName>(
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_LOG',
    ),
    defErrno: fc.option(fc.constant(3000), { nil: undefined }),
    harness: fc.integer({ min: 0, max: 9 }).map((x) => x < 7),
    n: fc.integer({ min: 1, max: 8 }),
  })
  .chain((r) =>
    fc
      .tuple(...Array.from({ length: r.n }, (_, i) => ruleArb(i + 2)))
      .map((rules): ModelProfile => ({
        defaultAction: r.def,
        ...(r.defErrno !== undefined ? { defaultErrnoRet: r.defErrno } : {}),
        architectures: [],
        syscalls: [
          {
            names: ['exit', 'exit_group'],
            action: 'SCMP_ACT_ALLOW',
            args: [],
            pointer: '/syscalls/0',
          },
          ...(r.harness
            ? [
                {
                  names: HARNESS,
                  action: 'SCMP_ACT_ALLOW' as ActionName,
                  args: [],
                  pointer: '/syscalls/1',
                },
              ]
            : []),
          ...rules,
        ],
      })),
  );

/** The two x86_64 host configurations: the archMap (three ABIs) and x86_64 alone. */
const ARCH_SETS: readonly (readonly string[])[] = [
  ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ['SCMP_ARCH_X86_64'],
];

/** Syscall numbers probed on one ABI: the probed names, multiplexers, and a few numbers without rules. */
function probeNumbers(arch: ArchName, names: readonly string[]): number[] {
  const s = new Set<number>();
  for (const n of names) {
    const nr = syscallNumber(arch, n);
    if (nr !== undefined) s.add(nr);
    const m = multiplexerFor(arch, n);
    if (m !== undefined) s.add(m.nr);
  }
  // getppid-like numbers without any rule: default action and stub edges (harmless: see PROBED).
  for (const n of ['getuid', 'sched_yield', 'umask']) {
    const nr = syscallNumber(arch, n);
    if (nr !== undefined) s.add(nr);
  }
  return [...s];
}

/** Probe inputs for a profile: every probed number of each ABI with `perNr` argument vectors. */
function probeData(
  rules: readonly { readonly args: readonly ArgCondition[] }[],
  names: readonly string[],
  perNr: number,
  seed: number,
): SeccompData[] {
  const values = interesting(rules);
  const next = rng(seed);
  const pick = (): bigint => values[next() % values.length] ?? 0n;
  const out: SeccompData[] = [];
  for (const arch of ['x86_64', 'x86', 'x32'] as const) {
    const token = arch === 'x86' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    const width = arch === 'x86' ? 32 : 64;
    for (const nr of probeNumbers(arch, names)) {
      for (let k = 0; k < perNr; k++) {
        const args = k === 0 ? args6([]) : args6([pick(), pick(), pick()], width);
        out.push({ nr, arch: token, instructionPointer: 0n, args });
      }
    }
  }
  return out;
}

/** Identity of a probe (for the shared baseline). */
function probeKey(p: Probe): string {
  return `${p.abi ?? 'native'} ${p.nr} ${(p.args ?? []).join(',')}`;
}

/** Whether every start-up syscall of the prober is ALLOWed regardless of arguments on x86_64. */
function harnessAllowed(plan: FilterPlan): boolean {
  const sections = plan.arches.filter((a) => a.arch === 'x86_64');
  if (sections.length === 0) return false;
  return HARNESS.every((name) => {
    const nr = syscallNumber('x86_64', name);
    if (nr === undefined) return false;
    const sp = sections.flatMap((a) => a.syscalls).find((s) => s.nr === nr);
    if (sp !== undefined && sp.root.kind !== 'ret' && name !== 'clone') return false;
    const data: SeccompData = {
      nr,
      arch: AUDIT_ARCH_X86_64,
      instructionPointer: 0n,
      args: args6(name === 'clone' ? [CLONE_FORK_FLAGS] : []),
    };
    return decide(plan, data).value >>> 0 === SECCOMP_RET_ALLOW;
  });
}

/** One compiled filter (or stack of filters) with its probes, the model's and the emulator's answers. */
interface Job {
  readonly label: string;
  readonly bytes: Uint8Array | readonly Uint8Array[];
  readonly loader: 'sandbox' | 'prober';
  readonly probes: readonly Probe[];
  readonly rets: readonly number[];
}

const failures: string[] = [];
const kinds = new Map<string, number>();
let probesRun = 0;
let sandboxLoads = 0;
let proberLoads = 0;

/** Compile, check emulator = model on every probe, and turn the case into a kernel job. */
function makeJob(
  label: string,
  profile: ModelProfile,
  optimize: boolean,
  data: readonly SeccompData[],
  split?: { readonly maxInsns?: number; readonly loader?: 'sandbox' | 'prober' },
): Job | undefined {
  let compiled;
  try {
    compiled = compileProfile(profile, {
      arch: 'x86_64',
      optimize,
      stats: false,
      ...(split !== undefined && { split: true }),
      ...(split?.maxInsns !== undefined && { maxInsns: split.maxInsns }),
    });
  } catch (e) {
    if (e instanceof ProfileError) return undefined; // refusals are the libseccomp differential's job
    throw e;
  }
  const { filters, plan } = compiled;
  const progs = filters.map((f) => compileProgram(f));
  const rets: number[] = [];
  for (const d of data) {
    const model = decide(plan, d).value >>> 0;
    const emu = combineStacked(progs.map((p) => execute(p, d, 'little').ret)) >>> 0;
    if (model !== emu) {
      failures.push(
        `${label}: emulator 0x${emu.toString(16)} != model 0x${model.toString(16)} on nr=${d.nr} arch=0x${d.arch.toString(16)} args=${d.args.join(',')}`,
      );
    }
    rets.push(model);
  }
  const bytes = filters.map((f) => encodeProgram(f, 'little'));
  return {
    label,
    bytes: bytes.length === 1 ? (bytes[0] ?? new Uint8Array()) : bytes,
    loader: split?.loader ?? (harnessAllowed(plan) ? 'sandbox' : 'prober'),
    probes: data.map(probeForData),
    rets,
  };
}

/** Run jobs on the kernel (two at a time) and compare with the baseline-predicted outcomes. */
async function runJobs(jobs: readonly Job[]): Promise<void> {
  const unique = new Map<string, Probe>();
  for (const j of jobs) for (const p of j.probes) unique.set(probeKey(p), p);
  const keys = [...unique.keys()];
  const base = await kernelBaseline([...unique.values()]);
  const baseline = new Map<string, ProbeOutcome>(
    keys.flatMap((k, i) => {
      const o = base[i];
      return o === undefined ? [] : [[k, o] as const];
    }),
  );
  const runOne = async (j: Job): Promise<void> => {
    const got = await runProbes('bwrap', j.bytes, j.probes, { loader: j.loader });
    if (j.loader === 'sandbox') sandboxLoads++;
    else proberLoads++;
    j.probes.forEach((p, i) => {
      const ret = j.rets[i] ?? 0;
      const unfiltered = baseline.get(probeKey(p));
      if (unfiltered === undefined) throw new Error('baseline missing');
      const want = formatOutcome(predictOutcome(ret, unfiltered));
      const actual = formatOutcome(got[i] ?? { kind: 'exit', status: -1 });
      probesRun++;
      const kind = actionKind(ret);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      if (want !== actual) {
        failures.push(
          `${j.label} (${j.loader}): ${probeKey(p)}: filter 0x${ret.toString(16)} predicts '${want}', kernel '${actual}'`,
        );
      }
    });
  };
  for (let i = 0; i < jobs.length; i += 2) {
    await Promise.all(jobs.slice(i, i + 2).map(runOne));
  }
}

describe.skipIf(!enabled)('compiled filters on the real kernel (bwrap + prober)', () => {
  beforeAll(() => {
    expect(hasTool('bwrap'), 'bubblewrap is required in CI').toBe(true);
    ensureProber();
  });

  test('random profiles: the kernel decides every probe like decide(plan) and the emulator', async () => {
    const profiles = fc.sample(profileArb, { seed: 20240611, numRuns: 150 });
    const jobs: Job[] = [];
    let refused = 0;
    profiles.forEach((p, i) => {
      const names = [
        ...new Set(
          p.syscalls
            .filter((r) => r.pointer !== '/syscalls/0' && r.pointer !== '/syscalls/1')
            .flatMap((r) => r.names),
        ),
      ];
      const data = probeData(p.syscalls, names, 10, i + 1);
      ARCH_SETS.forEach((arches, h) => {
        const job = makeJob(
          `profile ${i} [${arches.join(',')}]`,
          { ...p, architectures: arches },
          (i + h) % 3 !== 2, // every third filter uses the linear (unoptimised) layout
          data,
        );
        if (job === undefined) refused++;
        else jobs.push(job);
      });
    });
    await runJobs(jobs);
    console.log(
      `kernel.itest: ${profiles.length} profiles, ${jobs.length} filters loaded (${sandboxLoads} by bwrap --seccomp, ` +
        `${proberLoads} by the prober), ${refused} refused, ${probesRun} probes on the kernel, ` +
        `actions ${JSON.stringify(Object.fromEntries(kinds))}, ${failures.length} disagreements`,
    );
    expect(failures.slice(0, 10).join('\n')).toBe('');
    // The test must exercise every action class and both loaders.
    for (const k of ['allow', 'errno', 'kill_thread', 'kill_process', 'trap', 'log', 'trace']) {
      expect(kinds.get(k) ?? 0, `probes decided by ${k}`).toBeGreaterThan(0);
    }
    expect(sandboxLoads).toBeGreaterThan(0);
    expect(proberLoads).toBeGreaterThan(0);
  }, 600_000);

  test('an ioctl allowlist and socket families: one filter, and split into stacked filters', async () => {
    // ioctl on fd 1000 (never open in the sandbox) fails with EBADF whatever the request, so an
    // allowed request answers EBADF and a refused one the default's errno 3000.
    const requests = Array.from({ length: 200 }, (_, i) =>
      i < 40 ? BigInt(0x8900 + i) : BigInt(0x5400 + 3 * i),
    );
    const families = [1n, 2n, 10n, 16n, 17n];
    const allowlist = (values: readonly bigint[]): ModelProfile => ({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 3000,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        {
          names: ['exit', 'exit_group', ...HARNESS],
          action: 'SCMP_ACT_ALLOW',
          args: [],
          pointer: '/syscalls/0',
        },
        ...values.map((v, i): ModelSyscallRule => ({
          names: ['ioctl'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 1, op: 'SCMP_CMP_EQ', value: v, valueTwo: 0n }],
          pointer: `/syscalls/${i + 1}`,
        })),
        ...families.map((f, i): ModelSyscallRule => ({
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, op: 'SCMP_CMP_EQ', value: f, valueTwo: 0n }],
          pointer: `/syscalls/${values.length + 1 + i}`,
        })),
      ],
    });
    const ioctl = syscallNumber('x86_64', 'ioctl') ?? 16;
    const socket = syscallNumber('x86_64', 'socket') ?? 41;
    const dataFor = (values: readonly bigint[], step: number): SeccompData[] => {
      const out: SeccompData[] = [];
      values.forEach((v, i) => {
        if (i % step !== 0 && i !== values.length - 1) return;
        for (const x of [v - 1n, v, v + 1n, v | (1n << 32n)])
          out.push({
            nr: ioctl,
            arch: AUDIT_ARCH_X86_64,
            instructionPointer: 0n,
            args: args6([1000n, x]),
          });
      });
      for (const f of [0n, 1n, 2n, 3n, 10n, 16n, 17n, 40n, 2n | (1n << 32n)])
        out.push({
          nr: socket,
          arch: AUDIT_ARCH_X86_64,
          instructionPointer: 0n,
          args: args6([f, 1n, 0n]),
        });
      return out;
    };
    const before = { probes: probesRun, failures: failures.length };
    const small = allowlist(requests);
    const data = dataFor(requests, 1);
    // 4,500 requests pass BPF_MAXINSNS even as a search: the real split, as `sysgate run` loads it.
    const bigValues = Array.from({ length: 4500 }, (_, i) => BigInt(0x10000 + 5 * i));
    const big = allowlist(bigValues);
    const bigData = dataFor(bigValues, 97);
    const jobs = [
      makeJob('ioctl allowlist', small, true, data),
      makeJob('ioctl allowlist split (120 per filter), bwrap', small, true, data, {
        maxInsns: 120,
        loader: 'sandbox',
      }),
      makeJob('ioctl allowlist split (120 per filter), prober', small, true, data, {
        maxInsns: 120,
        loader: 'prober',
      }),
      makeJob('4,500 ioctl requests, split at BPF_MAXINSNS, bwrap', big, true, bigData, {
        loader: 'sandbox',
      }),
    ];
    const ok = jobs.filter((j): j is Job => j !== undefined);
    expect(ok.length).toBe(4);
    const stacked = ok.map((j) => (j.bytes instanceof Uint8Array ? 1 : j.bytes.length));
    expect(stacked[0]).toBe(1);
    for (const n of stacked.slice(1)) expect(n).toBeGreaterThan(1);
    await runJobs(ok);
    const ran = probesRun - before.probes;
    console.log(
      `kernel.itest: ioctl allowlists, ${ok.length} jobs (filters per job ${stacked.join(', ')}), ${ran} probes on the kernel, ${failures.length - before.failures} disagreements`,
    );
    expect(failures.slice(before.failures, before.failures + 10).join('\n')).toBe('');
    expect(ran).toBeGreaterThan(1500);
  }, 600_000);

  test('the moby default profile compiled by sysgate, loaded by bwrap --seccomp', async () => {
    const path = new URL('../../examples/docker-default.json', import.meta.url);
    const loaded = parseProfile(readFileSync(path, 'utf8'), path.pathname);
    const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
    const before = { probes: probesRun, failures: failures.length };
    const jobs: Job[] = [];
    for (const caps of [DOCKER_DEFAULT_CAPABILITIES, [] as readonly string[]]) {
      const resolved = resolveProfile(loaded.profile, { arch: 'x86_64', caps, kernel });
      if (resolved === null) throw new Error('the default profile resolved to no seccomp');
      // Probe the harmless names plus clone3 (its arguments stay 0: size 0 makes an allowed call fail).
      const data = [
        ...probeData(resolved.syscalls, PROBED, 24, caps.length + 7),
        ...(['x86_64', 'x32', 'x86'] as const).flatMap((arch) => {
          const nr = syscallNumber(arch, 'clone3');
          const arch32 = arch === 'x86' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
          return nr === undefined
            ? []
            : [{ nr, arch: arch32, instructionPointer: 0n, args: args6([]) }];
        }),
      ];
      for (const optimize of [true, false]) {
        const job = makeJob(
          `moby default caps=${caps.length} optimize=${optimize}`,
          resolved,
          optimize,
          data,
        );
        expect(job, 'the default profile compiles').toBeDefined();
        if (job !== undefined) {
          expect(job.loader).toBe('sandbox');
          jobs.push(job);
        }
      }
    }
    await runJobs(jobs);
    const ran = probesRun - before.probes;
    console.log(
      `kernel.itest: moby default, ${jobs.length} filters, ${ran} probes on the kernel, ${failures.length - before.failures} disagreements`,
    );
    expect(failures.slice(before.failures, before.failures + 10).join('\n')).toBe('');
    expect(ran).toBeGreaterThan(1000);
  }, 300_000);
});
