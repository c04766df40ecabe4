/**
 * Differential test of the decision model against real libseccomp (python3-seccomp, Debian 2.5.4):
 * random profiles are built by the model and by libseccomp driven the way runc drives it; the
 * exported program runs in our emulator and must decide every probe like `decide(plan)`.
 * runc's ENOSYS stub is not part of libseccomp's output, so the comparison strips it from the plan
 * (`enosysMax`); the stub is covered by the table tests in model.test.ts.
 * Runs when CI=true (and then fails without python3-seccomp), else only when the module is present.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archByScmpName, archInfo } from '../arch/arches.js';
import { multiplexerFor, syscallNumber } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { seccompDataWords, executeWords } from '../bpf/emulate.js';
import { decodeProgram } from '../bpf/instruction.js';
import type { SeccompData } from '../bpf/seccomp.js';
import { ProfileError } from '../errors.js';
import type { ActionName, ArgCondition, OpName } from '../profile/types.js';
import { must } from './libseccomp-db.js';
import { buildPlan, decide, type ModelProfile, type ModelSyscallRule } from './model.js';
import type { FilterPlan } from './plan.js';

/** The refusal shape of test/oracle/libseccomp.ts (kept local: src/ cannot import test/ files). */
interface OracleRefusal {
  readonly error: string;
  readonly rule: number | null;
  readonly internal?: boolean;
}

/** The part of test/oracle/libseccomp.ts this test uses. */
interface OracleModule {
  findOraclePython(): string | undefined;
  libseccompExportBatch(
    items: readonly { profile: ModelProfile; opts: { native: ArchName; optimize?: 1 | 2 } }[],
    python?: string,
  ): (Uint8Array | OracleRefusal)[];
}

const oraclePath = new URL('../../test/oracle/libseccomp.ts', import.meta.url).href;
const oracle = (await import(oraclePath)) as OracleModule;
const python = oracle.findOraclePython();
const enabled = process.env.CI === 'true' || python !== undefined;

/** Host configurations: native arch and the architectures list of the profile. */
const HOSTS: readonly { native: ArchName; arches: readonly string[][] }[] = [
  {
    native: 'x86_64',
    arches: [
      ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      ['SCMP_ARCH_X86_64'],
      ['SCMP_ARCH_X86'],
      ['SCMP_ARCH_X32'],
      [],
    ],
  },
  { native: 'aarch64', arches: [['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], []] },
  { native: 's390x', arches: [['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'], ['SCMP_ARCH_S390']] },
  { native: 'ppc64le', arches: [['SCMP_ARCH_PPC64LE']] },
];

const NAMES = [
  'read',
  'write',
  'close',
  'open',
  'ioctl',
  'mmap',
  'personality',
  'clone',
  'socket',
  'connect',
  'accept',
  'accept4',
  'sendto',
  'recv',
  'shmget',
  'semop',
  'msgget',
  'socketcall',
  'ipc',
  'arch_prctl',
  'statmount',
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
const OPS: readonly OpName[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];
const VALUES: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  5n,
  8n,
  0xfn,
  0x10n,
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
  index: fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 0, max: 2 }) },
    { weight: 1, arbitrary: fc.constant(6) },
  ),
  op: fc.constantFrom(...OPS),
  value: fc.constantFrom(...VALUES),
  valueTwo: fc.constantFrom(...VALUES),
});

const ruleArb = (i: number): fc.Arbitrary<ModelSyscallRule> =>
  fc.record({
    names: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }),
    action: fc.constantFrom(...ACTIONS),
    errnoRet: fc.option(fc.constantFrom(1, 13, 38, 4094, 4095, 65537), { nil: undefined }),
    args: fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 3, arbitrary: fc.array(argArb, { minLength: 1, maxLength: 3 }) },
    ),
    pointer: fc.constant(`/syscalls/${i}`),
  }) as fc.Arbitrary<ModelSyscallRule>;

interface Case {
  readonly native: ArchName;
  readonly profile: ModelProfile;
  readonly optimize: 1 | 2;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    host: fc.constantFrom(...HOSTS),
    archIdx: fc.nat(),
    def: fc.constantFrom<ActionName>(
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_TRAP',
    ),
    defErrno: fc.option(fc.constantFrom(1, 13), { nil: undefined }),
    n: fc.integer({ min: 1, max: 8 }),
    optimize: fc.constantFrom<1 | 2>(1, 2),
    seed: fc.nat(),
  })
  .chain((r) =>
    fc.tuple(...Array.from({ length: r.n }, (_, i) => ruleArb(i))).map((rules) => {
      const arches = r.host.arches[r.archIdx % r.host.arches.length] ?? [];
      const profile: ModelProfile = {
        defaultAction: r.def,
        ...(r.defErrno !== undefined ? { defaultErrnoRet: r.defErrno } : {}),
        architectures: arches,
        syscalls: rules,
      };
      return { native: r.host.native, profile, optimize: r.optimize };
    }),
  );

function stripStub(plan: FilterPlan): FilterPlan {
  return {
    ...plan,
    arches: plan.arches.map((a) => ({
      arch: a.arch,
      auditArch: a.auditArch,
      syscalls: a.syscalls,
      defaultLeaf: a.defaultLeaf,
    })),
  };
}

/** Interesting argument values: each rule's constants, +-1, upper half set, masked variants. */
function interesting(profile: ModelProfile): bigint[] {
  const s = new Set<bigint>([0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn]);
  for (const r of profile.syscalls) {
    for (const a of r.args) {
      for (const v of [a.value, a.valueTwo, a.value & a.valueTwo, a.valueTwo | ~a.value]) {
        for (const w of [v - 1n, v, v + 1n, v | 0x100000000n, v ^ 0xffffffff00000000n]) {
          s.add(BigInt.asUintN(64, w));
        }
      }
    }
  }
  return [...s];
}

/** Syscall numbers to probe on one arch: every pool name, multiplexers, edges. */
function probeNrs(arch: ArchName): number[] {
  const s = new Set<number>([0, -1, 1, 0x40000003, 0x3fffffff, 0x40000000, 999, -105]);
  for (const n of NAMES) {
    const nr = syscallNumber(arch, n);
    if (nr !== undefined) s.add(nr);
    const m = multiplexerFor(arch, n);
    if (m !== undefined) s.add(m.nr);
  }
  return [...s];
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

let probes = 0;
let quirkProbes = 0;
const quirkProfiles = new Set<Case>();
const failures: string[] = [];

function checkCase(c: Case, answer: Uint8Array | OracleRefusal, vectorsPerNr: number): void {
  let plan: FilterPlan | undefined;
  let refused: unknown;
  try {
    plan = buildPlan(c.profile, { arch: c.native, optimize: c.optimize });
  } catch (e) {
    refused = e;
  }
  const ctx = (): string =>
    JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
  if (!(answer instanceof Uint8Array)) {
    expect(answer.internal, `oracle failed: ${answer.error}\n${ctx()}`).toBeUndefined();
    expect(
      refused,
      `libseccomp refused (${answer.error}) but the model did not\n${ctx()}`,
    ).toBeInstanceOf(ProfileError);
    return;
  }
  if (refused !== undefined) {
    failures.push(
      `model refused a profile libseccomp accepts: ${refused instanceof Error ? refused.message : 'unknown error'}\n${ctx()}`,
    );
    return;
  }
  const p = stripStub(must(plan));
  let sibling: FilterPlan | undefined;
  const nat = archInfo(c.native);
  const prog = decodeProgram(answer, nat.endian);
  const tokens = new Set<number>(p.arches.map((a) => a.auditArch));
  tokens.add(0x12345678);
  const values = interesting(c.profile);
  const next = rng(values.length * 7919 + c.profile.syscalls.length);
  const words = new Uint32Array(16);
  const archesToProbe = new Set<ArchName>([
    c.native,
    ...c.profile.architectures.flatMap((s) => {
      const a = archByScmpName(s);
      return a ? [a.name] : [];
    }),
  ]);
  for (const arch of archesToProbe) {
    const token = archInfo(arch).auditArch;
    for (const nr of probeNrs(arch)) {
      for (let k = 0; k < vectorsPerNr; k++) {
        const pick = (): bigint => must(values[next() % values.length]);
        const data: SeccompData = {
          nr,
          arch: k === 0 && nr === 0 ? 0x12345678 : token,
          instructionPointer: 0n,
          args: [pick(), pick(), pick(), 0n, 0n, 0n],
        };
        const want = executeWords(prog, seccompDataWords(data, nat.endian, words)).ret >>> 0;
        const got = decide(p, data).value >>> 0;
        probes++;
        if (got !== want) {
          // gen_bpf's accumulator reuse between siblings (see libseccomp-db.ts): accepted only when
          // the sibling-accumulator lowering reproduces libseccomp's answer for this very probe.
          sibling ??= stripStub(
            buildPlan(c.profile, { arch: c.native, optimize: c.optimize, accumulator: 'sibling' }),
          );
          if (decide(sibling, data).value >>> 0 === want) {
            quirkProbes++;
            quirkProfiles.add(c);
            continue;
          }
          failures.push(
            `disagreement on ${arch} nr=${nr} args=${data.args.map((a) => '0x' + a.toString(16)).join(',')}: ` +
              `model 0x${got.toString(16)} libseccomp 0x${want.toString(16)}\n` +
              `path: ${decide(p, data).path.join(' | ')}\n${ctx()}`,
          );
          return;
        }
      }
    }
  }
}

describe.skipIf(!enabled)('decision model vs libseccomp 2.5.4 (python3-seccomp)', () => {
  test('python3-seccomp is available', () => {
    expect(python, 'python3-seccomp (Debian package) is required in CI').toBeDefined();
  });

  test('random profiles: every probe decided like libseccomp, same refusals', () => {
    const cases = fc.sample(caseArb, { seed: 4242, numRuns: 1500 });
    const answers = oracle.libseccompExportBatch(
      cases.map((c) => ({ profile: c.profile, opts: { native: c.native, optimize: c.optimize } })),
      python,
    );
    let refusals = 0;
    cases.forEach((c, i) => {
      const a = must(answers[i]);
      if (!(a instanceof Uint8Array)) refusals++;
      checkCase(c, a, 30);
    });
    console.log(
      `model.itest: ${cases.length} profiles, ${refusals} refused, ${probes} probes, ${failures.length} disagreeing profiles, ` +
        `${quirkProbes} probes in ${quirkProfiles.size} profiles decided by gen_bpf's stale accumulator`,
    );
    expect(failures.slice(0, 8).join('\n\n')).toBe('');
    expect(probes).toBeGreaterThan(1_000_000);
  });
});
