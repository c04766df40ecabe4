/**
 * Differential test of sysgate's model of runc >= 1.2 against runc itself: runc 1.3.6's and 1.4.3's
 * libcontainer/seccomp (InitSeccomp, matchCall, the binary-tree switch, patchbpf's ENOSYS stub)
 * built by scripts/build-oracles.mjs, driven by scripts/oracles/runc/main.go, which prints the program
 * runc would load. For random profiles, the shared corpus and runc's own test data
 * (test/fixtures/runc), sysgate told that runc version (and the libseccomp the driver loads) must
 * - refuse exactly the profiles runc refuses,
 * - build libseccomp's part of the program byte for byte (the port's claim), and
 * - decide every probe exactly like runc's whole program (stub + filter) run in the emulator.
 * Per runc, twice: with the system's libseccomp 2.5.4 and with the built 2.6.0. x86_64 host only (runc's
 * native arch is the machine's). Runs when CI=true (and then fails if the oracles do not build), else
 * when they build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { archByScmpName, archInfo } from '../../src/arch/arches.js';
import {
  multiplexerFor,
  syscallEntries,
  syscallNumber,
  type LibseccompVersion,
} from '../../src/arch/syscalls.js';
import type { ArchName } from '../../src/arch/types.js';
import { executeWords, seccompDataWords } from '../../src/bpf/emulate.js';
import { decodeProgram, type Instruction } from '../../src/bpf/instruction.js';
import type { SeccompData } from '../../src/bpf/seccomp.js';
import { buildPlan, type ModelProfile, type ModelSyscallRule } from '../../src/compile/build.js';
import { decide } from '../../src/compile/decide.js';
import { libseccompProgram } from '../../src/compile/libseccomp.js';
import type { FilterPlan } from '../../src/compile/plan.js';
import {
  formatStackVersion,
  parseStackVersion,
  runcPlanOptions,
  type RuntimeVersions,
} from '../../src/compile/runtime-versions.js';
import { statsRange } from '../../src/compile/stats.js';
import { ProfileError } from '../../src/profile/errors.js';
import { parseProfiles } from '../../src/profile/parse.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import type { ActionName, ArgCondition } from '../../src/profile/types.js';
import { loadForRunc } from '../../src/runc/check.js';
import {
  builtLibseccomp,
  builtRunc,
  libseccompEnv,
  type Built,
  type BuiltRunc,
} from '../oracle/built.js';
import { runcOracleVersion, runcProgramBatch, type RuncAnswer } from '../oracle/runc.js';
import { interestingValues, OPS, rng } from './probe-values.testkit.js';

const HOST: ArchName = 'x86_64';
const root = path.resolve(import.meta.dirname, '../..');
const ci = process.env.CI === 'true';
const lib26 = builtLibseccomp();

const NAMES = [
  'read',
  'write',
  'close',
  'open',
  'ioctl',
  'mmap',
  'personality',
  'clone',
  'clone3',
  'socket',
  'connect',
  'accept4',
  'sendto',
  'shmget',
  'socketcall',
  'arch_prctl',
  'statmount',
  'listmount',
  'mseal',
  'uretprobe',
  'map_shadow_stack',
  'open_tree_attr',
  'not_a_syscall',
];
const ACTIONS: readonly ActionName[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
];
const VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  5n,
  0xfn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0xffffffff00000000n,
  0xffffffffffffffffn,
];
const ARCH_SETS: readonly string[][] = [
  [],
  ['SCMP_ARCH_X86_64'],
  ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ['SCMP_ARCH_X86'],
  ['SCMP_ARCH_X32'],
  ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
];

const argArb: fc.Arbitrary<ArgCondition> = fc.record({
  index: fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 0, max: 2 }) },
    { weight: 1, arbitrary: fc.constant(6) },
  ),
  op: fc.constantFrom(...OPS),
  value: fc.constantFrom(...VALUES),
  valueTwo: fc.constantFrom(...VALUES),
});

/** `many`: a name pool of every x86_64 syscall, so long rule lists pass runc's 32-rule switch. */
const ruleArb = (i: number, many: boolean): fc.Arbitrary<ModelSyscallRule> =>
  fc.record({
    names: fc.uniqueArray(
      fc.constantFrom(...(many ? syscallEntries(HOST).map((e) => e.name) : NAMES)),
      { minLength: 1, maxLength: many ? 6 : 3 },
    ),
    action: fc.constantFrom(...ACTIONS),
    errnoRet: fc.option(fc.constantFrom(1, 13, 38, 4095), { nil: undefined }),
    args: fc.oneof(
      { weight: 2, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: fc.array(argArb, { minLength: 1, maxLength: 3 }) },
    ),
    pointer: fc.constant(`/syscalls/${i}`),
  }) as fc.Arbitrary<ModelSyscallRule>;

const profileArb: fc.Arbitrary<ModelProfile> = fc
  .record({
    arches: fc.constantFrom(...ARCH_SETS),
    def: fc.constantFrom<ActionName>(
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
    ),
    defErrno: fc.option(fc.constantFrom(1, 13, 38), { nil: undefined }),
    many: fc.boolean(),
    n: fc.integer({ min: 1, max: 12 }),
  })
  .chain((r) =>
    fc
      .tuple(...Array.from({ length: r.n }, (_, i) => ruleArb(i, r.many)))
      .map((rules): ModelProfile => ({
        defaultAction: r.def,
        ...(r.defErrno !== undefined ? { defaultErrnoRet: r.defErrno } : {}),
        architectures: r.arches,
        syscalls: rules,
      })),
  );

/** One oracle run: the libseccomp both sides use and the driver's environment. */
interface Side {
  readonly libseccomp: LibseccompVersion;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly stack: RuntimeVersions;
}

interface Tally {
  profiles: number;
  refused: number;
  programs: number;
  probes: number;
  binaryTree: number;
  failures: string[];
}

function disasm(p: readonly Instruction[]): string {
  return p
    .map((i, n) => `${n}: ${i.code.toString(16)} ${i.jt} ${i.jf} 0x${i.k.toString(16)}`)
    .join('\n');
}

const show = (p: ModelProfile): string =>
  JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

/** Syscall numbers to probe on one arch. */
function probeNrs(arch: ArchName, plan: FilterPlan, all: boolean): number[] {
  const s = new Set<number>([0, -1, 1, 999, 1000, 0x3fffffff, 0x40000000, 0x40000003, -105]);
  for (const a of plan.arches)
    if (a.enosysMax !== undefined) for (const d of [-1, 0, 1, 2]) s.add((a.enosysMax + d) | 0);
  for (const n of NAMES) {
    const nr = syscallNumber(arch, n);
    if (nr !== undefined) for (const d of [0, 1]) s.add(nr + d);
    const m = multiplexerFor(arch, n);
    if (m !== undefined) s.add(m.nr);
  }
  for (const e of syscallEntries(arch)) if (all || e.nr % 17 === 0) s.add(e.nr);
  if (all) {
    const [lo] = statsRange(arch);
    for (let n = lo; n <= lo + 470; n++) s.add(n);
  }
  return [...s];
}

function check(
  side: Side,
  profile: ModelProfile,
  answer: RuncAnswer,
  t: Tally,
  vectors: number,
  all = false,
): void {
  t.profiles++;
  const planOpts = runcPlanOptions(profile, side.stack);
  let plan: FilterPlan | undefined;
  let refused: unknown;
  try {
    plan = buildPlan(profile, { arch: HOST, libseccomp: side.libseccomp, ...planOpts });
  } catch (e) {
    refused = e;
  }
  if ('error' in answer) {
    t.refused++;
    if (answer.internal) t.failures.push(`oracle failed: ${answer.error}\n${show(profile)}`);
    else if (!(refused instanceof ProfileError))
      t.failures.push(`runc refused (${answer.error}) but sysgate did not\n${show(profile)}`);
    return;
  }
  if (plan === undefined) {
    const why = refused instanceof Error ? refused.message : String(refused);
    t.failures.push(`sysgate refused a profile runc loads: ${why}\n${show(profile)}`);
    return;
  }
  if (planOpts.optimize === 2) t.binaryTree++;
  const prog = decodeProgram(answer.program, 'little');
  const lib = libseccompProgram(profile, {
    arch: HOST,
    libseccomp: side.libseccomp,
    ...(planOpts.optimize !== undefined && { optimize: planOpts.optimize }),
  });
  t.programs++;
  const tail = prog.slice(prog.length - lib.length);
  if (lib.length > prog.length || disasm(tail) !== disasm(lib)) {
    t.failures.push(
      `libseccomp's part differs\nrunc:\n${disasm(prog)}\nsysgate:\n${disasm(lib)}\n${show(profile)}`,
    );
    return;
  }
  const values = interestingValues(profile.syscalls);
  const next = rng(values.length * 7919 + profile.syscalls.length);
  const words = new Uint32Array(16);
  const arches = new Set<ArchName>([
    HOST,
    ...profile.architectures.flatMap((s) => {
      const a = archByScmpName(s);
      return a ? [a.name] : [];
    }),
  ]);
  for (const arch of arches) {
    const token = archInfo(arch).auditArch;
    for (const nr of probeNrs(arch, plan, all)) {
      for (let k = 0; k < vectors; k++) {
        const pick = (): bigint => values[next() % values.length] ?? 0n;
        const data: SeccompData = {
          nr,
          arch: k === 0 && nr === 0 ? 0x12345678 : token,
          instructionPointer: 0n,
          args: [pick(), pick(), pick(), 0n, 0n, 0n],
        };
        const want = executeWords(prog, seccompDataWords(data, 'little', words)).ret >>> 0;
        const got = decide(plan, data).value >>> 0;
        t.probes++;
        if (got !== want) {
          t.failures.push(
            `disagreement on ${arch} nr=${nr} args=${data.args.map((a) => '0x' + a.toString(16)).join(',')}: ` +
              `sysgate 0x${got.toString(16)}, runc 0x${want.toString(16)}\n${show(profile)}`,
          );
          return;
        }
      }
    }
  }
}

/** The corpus profiles resolved for an x86_64 host, as runc receives them. */
function corpusProfiles(): ModelProfile[] {
  const dir = path.join(root, 'test/fixtures/corpus/profiles');
  const out: ModelProfile[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    let loaded;
    try {
      loaded = parseProfiles(readFileSync(path.join(dir, f), 'utf8'), f);
    } catch {
      continue;
    }
    for (const lp of loaded) {
      let r;
      try {
        r = resolveProfile(lp.profile, {
          arch: HOST,
          caps: ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'],
          kernel: { major: 6, minor: 1 },
        });
      } catch {
        continue;
      }
      if (r !== null) out.push(r);
    }
  }
  return out;
}

/** runc's own test data: the seccomp.bats profiles and patchbpf/enosys_linux_test.go's configs. */
function runcFixtureProfiles(): ModelProfile[] {
  const dir = path.join(root, 'test/fixtures/runc');
  const host = { arch: HOST, caps: [], kernel: { major: 6, minor: 1 } };
  const load = (text: string): ModelProfile => {
    const r = resolveProfile(loadForRunc('runc.json', text).profile, host);
    if (r === null) throw new Error('seccomp off');
    return r;
  };
  const out: ModelProfile[] = [];
  for (const f of [
    'seccomp_syscall_test1.json',
    'seccomp_syscall_test2.json',
    'read-write-only.json',
    'errno-ret.json',
  ])
    out.push(load(readFileSync(path.join(dir, f), 'utf8')));
  const integration = JSON.parse(
    readFileSync(path.join(dir, 'integration-expectations.json'), 'utf8'),
  ) as { cases: { profile: string | object }[] };
  for (const c of integration.cases)
    if (typeof c.profile !== 'string') out.push(load(JSON.stringify(c.profile)));
  const E = JSON.parse(readFileSync(path.join(dir, 'enosys-stub-test.json'), 'utf8')) as {
    explicitSyscalls: string[];
    ranges: [number, number][];
    testArches: string[];
    actions: Record<string, string>;
  };
  // The little-endian arch sets of the Go test that an x86_64 libseccomp accepts (the x86 family).
  const x86 = E.testArches.filter((a) => ['amd64', 'x86', 'x32', '386'].includes(a));
  const sets: string[][] = [[], ...x86.map((a) => [a])];
  for (let end = 0; end <= x86.length; end++)
    for (let start = 0; start < end; start++) sets.push(x86.slice(start, end));
  const scmp = (go: string): string =>
    go === 'amd64' ? 'SCMP_ARCH_X86_64' : go === 'x32' ? 'SCMP_ARCH_X32' : 'SCMP_ARCH_X86';
  for (const arches of sets)
    for (const action of Object.values(E.actions))
      for (const [start, end] of E.ranges) {
        const ruleAction = action === 'SCMP_ACT_ALLOW' ? 'SCMP_ACT_KILL' : 'SCMP_ACT_ALLOW';
        out.push(
          load(
            JSON.stringify({
              defaultAction: action,
              ...(arches.length > 0 && { architectures: [...new Set(arches.map(scmp))] }),
              syscalls: E.explicitSyscalls
                .slice(start, end)
                .map((n) => ({ names: [n], action: ruleAction })),
            }),
          ),
        );
      }
  return out;
}

function suite(label: string, runc: Built<BuiltRunc>, side: () => Side, libVersion: string): void {
  let s: Side;
  let bin: BuiltRunc;
  beforeAll(() => {
    s = side();
    if (!runc.ok) throw new Error(runc.why);
    bin = runc.oracle;
  });
  const run = (profiles: ModelProfile[], vectors: number, all: boolean): Tally => {
    const t: Tally = {
      profiles: 0,
      refused: 0,
      programs: 0,
      probes: 0,
      binaryTree: 0,
      failures: [],
    };
    const answers = runcProgramBatch(bin.binary, profiles, s.env);
    profiles.forEach((p, i) => {
      const a = answers[i];
      if (a === undefined) throw new Error('no answer');
      check(s, p, a, t, vectors, all);
    });
    return t;
  };
  const report = (what: string, t: Tally): string =>
    `runc-oracle ${label} ${what}: ${t.profiles} profiles, ${t.refused} refused by runc, ` +
    `${t.programs} programs compared (${t.binaryTree} binary trees), ${t.probes} probes, ` +
    `${t.failures.length} disagreeing`;

  test(`${label}: the driver runs that runc with libseccomp ${libVersion}`, () => {
    const v = runcOracleVersion(bin.binary, s.env);
    expect(v).toEqual({ runc: bin.version, libseccomp: libVersion });
  });

  test(`${label}: random profiles: same refusals, libseccomp's program byte for byte, every probe decided alike`, () => {
    const t = run(fc.sample(profileArb, { seed: 1414, numRuns: 1200 }), 12, false);
    console.log(report('random', t));
    expect(t.failures.slice(0, 3).join('\n\n')).toBe('');
    expect(t.programs).toBeGreaterThan(600);
    expect(t.binaryTree).toBeGreaterThan(50);
    expect(t.probes).toBeGreaterThan(300_000);
  });

  test(`${label}: the corpus`, () => {
    const t = run(corpusProfiles(), 2, true);
    console.log(report('corpus', t));
    expect(t.failures.slice(0, 3).join('\n\n')).toBe('');
    expect(t.programs).toBeGreaterThan(60);
  });

  test(`${label}: runc's own test data (seccomp.bats profiles, enosys_linux_test.go configs)`, () => {
    const t = run(runcFixtureProfiles(), 2, true);
    console.log(report('runc test data', t));
    expect(t.failures.slice(0, 3).join('\n\n')).toBe('');
    expect(t.programs).toBeGreaterThan(100);
  });
}

const LIB_254 = { major: 2, minor: 5, patch: 4 };
const LIB_260 = { major: 2, minor: 6, patch: 0 };

for (const line of ['1.3', '1.4'] as const) {
  const runc = builtRunc(line);
  const v = parseStackVersion(runc.ok ? runc.oracle.version : line);
  if (v === undefined) throw new Error(`bad runc version ${line}`);
  const name = formatStackVersion(v);
  describe.skipIf(!ci && !runc.ok)(
    `sysgate --runc ${name} vs runc ${name} built, libseccomp 2.5.4`,
    () => {
      suite(
        `runc ${name}, libseccomp 2.5.4`,
        runc,
        () => ({ libseccomp: '2.5.4', env: undefined, stack: { runc: v, libseccomp: LIB_254 } }),
        '2.5.4',
      );
    },
  );
  describe.skipIf(!ci && (!runc.ok || !lib26.ok))(
    `sysgate --runc ${name} --libseccomp 2.6 vs runc ${name} built, libseccomp 2.6.0 built`,
    () => {
      suite(
        `runc ${name}, libseccomp 2.6.0`,
        runc,
        () => {
          if (!lib26.ok) throw new Error(lib26.why);
          return {
            libseccomp: '2.6',
            env: libseccompEnv(lib26.oracle),
            stack: { runc: v, libseccomp: LIB_260 },
          };
        },
        '2.6.0',
      );
    },
  );
}
