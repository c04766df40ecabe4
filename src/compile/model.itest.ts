/**
 * Differential test of the decision model against real libseccomp, twice: Debian 12's 2.5.4
 * (python3-seccomp) and 2.6.0 built from its release tarball by scripts/build-oracles.mjs (its own
 * python binding, `--libseccomp 2.6`):
 * random profiles are built by the model and by libseccomp driven the way runc drives it. The oracle
 * also writes runc's ENOSYS stub (its own implementation of patchbpf's algorithm, numbers from
 * libseccomp's resolver); stub + exported program is the filter runc loads, it runs in our emulator
 * and must decide every probe exactly like `decide(plan)`, with no exception. The port of gen_bpf.c
 * must moreover emit libseccomp's program instruction for instruction.
 * Runs when CI=true (and then fails without python3-seccomp or the 2.6.0 build), else only when the
 * module is present (and the 2.6.0 part when it builds).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { archByScmpName, archInfo } from '../arch/arches.js';
import { multiplexerFor, syscallEntries, syscallNumber } from '../arch/syscalls.js';
import type { LibseccompVersion } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { seccompDataWords, executeWords } from '../bpf/emulate.js';
import { decodeProgram, type Instruction } from '../bpf/instruction.js';
import type { SeccompData } from '../bpf/seccomp.js';
import { ProfileError } from '../profile/errors.js';
import { parseProfiles } from '../profile/parse.js';
import { resolveProfile } from '../profile/resolve.js';
import type { ActionName, ArgCondition } from '../profile/types.js';
import { must } from './libseccomp-db.js';
import { buildPlan, type ModelProfile, type ModelSyscallRule } from './build.js';
import { decide } from './decide.js';
import { libseccompProgram } from './libseccomp.js';
import type { FilterPlan } from './plan.js';
import { statsRange } from './stats.js';
import {
  interestingValues as interesting,
  rng,
  OPS,
} from '../../test/integration/probe-values.testkit.js';

/** The program shape of test/oracle/libseccomp.ts (kept local: src/ cannot import test/ files). */
interface OracleProgram {
  readonly libseccomp: Uint8Array;
  readonly stub: Uint8Array;
}

/** The refusal shape of test/oracle/libseccomp.ts. */
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
    env?: NodeJS.ProcessEnv,
  ): (OracleProgram | OracleRefusal)[];
  libseccompOracleVersion(
    python?: string,
    env?: NodeJS.ProcessEnv,
  ): { library: string; module: string };
}

/** The part of test/oracle/built.ts this test uses. */
interface BuiltModule {
  builtLibseccomp():
    | { ok: true; oracle: { version: string; libDir: string; pythonPath: string } }
    | { ok: false; why: string };
  libseccompEnv(b: { libDir: string; pythonPath: string }): NodeJS.ProcessEnv;
}

const oracle = (await import(
  new URL('../../test/oracle/libseccomp.ts', import.meta.url).href
)) as OracleModule;
const built = (await import(
  new URL('../../test/oracle/built.ts', import.meta.url).href
)) as BuiltModule;
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

/** One oracle: which libseccomp the model is told it is, and the environment that loads it. */
interface Oracle {
  readonly version: LibseccompVersion;
  readonly env: NodeJS.ProcessEnv | undefined;
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

/** Syscall numbers to probe on one arch: every pool name, multiplexers, edges, stub limits. */
function probeNrs(arch: ArchName, plan: FilterPlan): number[] {
  const s = new Set<number>([0, -1, 1, 0x40000003, 0x3fffffff, 0x40000000, 999, -105]);
  for (const a of plan.arches) {
    if (a.enosysMax !== undefined) for (const d of [0, 1]) s.add((a.enosysMax + d) | 0);
  }
  for (const n of NAMES) {
    const nr = syscallNumber(arch, n);
    if (nr !== undefined) s.add(nr);
    const m = multiplexerFor(arch, n);
    if (m !== undefined) s.add(m.nr);
  }
  return [...s];
}

let probes = 0;
let programs = 0;
const failures: string[] = [];

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function disasm(p: readonly Instruction[]): string {
  return p
    .map((i, n) => `${n}: ${i.code.toString(16)} ${i.jt} ${i.jf} 0x${i.k.toString(16)}`)
    .join('\n');
}

function checkCase(
  o: Oracle,
  c: Case,
  answer: OracleProgram | OracleRefusal,
  vectorsPerNr: number,
  allNrs = false,
): void {
  let plan: FilterPlan | undefined;
  let refused: unknown;
  try {
    plan = buildPlan(c.profile, { arch: c.native, optimize: c.optimize, libseccomp: o.version });
  } catch (e) {
    refused = e;
  }
  const ctx = (): string =>
    JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
  if (!('libseccomp' in answer)) {
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
  const p = must(plan);
  const nat = archInfo(c.native);
  const lib = decodeProgram(answer.libseccomp, nat.endian);
  // The oracle runs libseccomp on this (little-endian) machine, so a big-endian filter is a
  // cross-endian export: the port must reproduce that too, byte for byte.
  const opts = { arch: c.native, optimize: c.optimize, libseccomp: o.version };
  const ours = libseccompProgram(c.profile, opts, 'little');
  programs++;
  if (disasm(ours) !== disasm(lib)) {
    failures.push(
      `gen_bpf port differs from libseccomp's program\nlibseccomp:\n${disasm(lib)}\nport:\n${disasm(ours)}\n${ctx()}`,
    );
    return;
  }
  // What runc loads on a real host of the filter's byte order: there libseccomp's duplicated returns
  // keep their value. Undo the cross-endian byte swap of exactly those returns (the only
  // instructions where the native build differs), in the oracle's own program.
  const native = libseccompProgram(c.profile, opts);
  const real = lib.map((insn, i) => {
    const n = must(native[i]);
    if (n.k === insn.k) return insn;
    if (n.code !== insn.code || n.code !== 0x06) throw new Error('native and cross builds differ');
    return { ...insn, k: bswap32(insn.k) };
  });
  if (real.some((x, i) => x.k !== must(native[i]).k)) {
    failures.push(`cross-endian returns not explained by a byte swap\n${ctx()}`);
    return;
  }
  const prog = [...decodeProgram(answer.stub, nat.endian), ...real];
  const values = interesting(c.profile.syscalls);
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
    const nrs = probeNrs(arch, p);
    if (allNrs) {
      const [lo] = statsRange(arch);
      for (let n = lo; n <= lo + 470; n++) nrs.push(n);
      for (const e of syscallEntries(arch)) nrs.push(e.nr, e.nr + 1);
    }
    for (const nr of nrs) {
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
          failures.push(
            `disagreement on ${arch} nr=${nr} args=${data.args.map((a) => '0x' + a.toString(16)).join(',')}: ` +
              `model 0x${got.toString(16)} runc+libseccomp 0x${want.toString(16)}\n` +
              `path: ${decide(p, data).path.join(' | ')}\n${ctx()}`,
          );
          return;
        }
      }
    }
  }
}

/** The differential suite against one oracle (`load` runs once, before the first test). */
function oracleSuite(label: string, version: LibseccompVersion, load: () => Oracle): void {
  let o: Oracle = { version, env: undefined };
  beforeAll(() => {
    o = load();
  });

  test(`${label}: the oracle loads libseccomp ${version}`, () => {
    expect(python, 'python3-seccomp (Debian package) is required in CI').toBeDefined();
    const v = oracle.libseccompOracleVersion(python, o.env);
    expect(v.library.startsWith(version === '2.5.4' ? '2.5.4' : '2.6.')).toBe(true);
  });

  test(`${label}: random profiles: every probe decided like libseccomp, same refusals`, () => {
    const cases = fc.sample(caseArb, { seed: 4242, numRuns: 1500 });
    const before = { probes, programs, failures: failures.length };
    const answers = oracle.libseccompExportBatch(
      cases.map((c) => ({ profile: c.profile, opts: { native: c.native, optimize: c.optimize } })),
      python,
      o.env,
    );
    let refusals = 0;
    cases.forEach((c, i) => {
      const a = must(answers[i]);
      if (!('libseccomp' in a)) refusals++;
      checkCase(o, c, a, 30);
    });
    console.log(
      `model.itest ${label}: ${cases.length} profiles, ${refusals} refused, ` +
        `${programs - before.programs} programs compared, ${probes - before.probes} probes, ` +
        `${failures.length - before.failures} disagreeing profiles`,
    );
    expect(failures.slice(before.failures, before.failures + 4).join('\n\n')).toBe('');
    expect(programs - before.programs).toBeGreaterThan(900);
    expect(probes - before.probes).toBeGreaterThan(1_000_000);
  });

  test(`${label}: deep and wide argument trees (libseccomp 05-sim-long_jumps, 3,000 rules on one syscall): same program, same decisions`, () => {
    const rule = (
      name: string,
      i: number,
      args: ArgCondition[],
      action: ActionName = 'SCMP_ACT_ALLOW',
    ): ModelSyscallRule => ({ names: [name], action, args, pointer: `/syscalls/${i}` });
    const cond = (index: number, op: ArgCondition['op'], value: bigint): ArgCondition => ({
      index,
      op,
      value,
      valueTwo: 0n,
    });
    // libseccomp's tests/05-sim-long_jumps.c: chdir with three conditions per rule, between two
    // unconditional rules (nine such rules crashed the dispatch key; eight took 0.6 s).
    const longJumps = (n: number): ModelProfile => ({
      defaultAction: 'SCMP_ACT_KILL',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        rule('brk', 0, []),
        ...Array.from({ length: n }, (_, i) =>
          rule('chdir', i + 1, [
            cond(0, 'SCMP_CMP_EQ', BigInt(i)),
            cond(1, 'SCMP_CMP_NE', 0n),
            cond(2, 'SCMP_CMP_LT', 80n),
          ]),
        ),
        rule('close', n + 1, []),
      ],
    });
    // 3,000 argument rules on one syscall (crashed the lifter's recursion).
    const wide: ModelProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: Array.from({ length: 3000 }, (_, i) =>
        rule('personality', i, [cond(0, 'SCMP_CMP_EQ', BigInt(i))]),
      ),
    };
    const cases: Case[] = [9, 30, 100].flatMap((n) =>
      ([1, 2] as const).map((optimize) => ({
        native: 'x86_64' as const,
        profile: longJumps(n),
        optimize,
      })),
    );
    cases.push({ native: 'x86_64', profile: wide, optimize: 1 });
    const before = { programs, failures: failures.length };
    const answers = oracle.libseccompExportBatch(
      cases.map((c) => ({ profile: c.profile, opts: { native: c.native, optimize: c.optimize } })),
      python,
      o.env,
    );
    cases.forEach((c, i) => {
      checkCase(o, c, must(answers[i]), 4);
    });
    expect(failures.slice(before.failures, before.failures + 2).join('\n\n')).toBe('');
    expect(programs - before.programs).toBe(cases.length);
  });

  test(`${label}: real-world profiles (shared corpus, three hosts, both optimize levels): same program, same decisions`, () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const dir = path.join(root, 'test/fixtures/corpus/profiles');
    const cases: Case[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      let loaded;
      try {
        loaded = parseProfiles(readFileSync(path.join(dir, f), 'utf8'), f);
      } catch {
        continue;
      }
      for (const lp of loaded) {
        for (const arch of ['x86_64', 'aarch64', 's390x'] as const) {
          let r;
          try {
            r = resolveProfile(lp.profile, {
              arch,
              caps: ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'],
              kernel: { major: 6, minor: 1 },
            });
          } catch {
            continue;
          }
          if (r === null) continue;
          for (const optimize of [1, 2] as const)
            cases.push({ native: arch, profile: r, optimize });
        }
      }
    }
    const before = { probes, programs, failures: failures.length };
    const answers = oracle.libseccompExportBatch(
      cases.map((c) => ({ profile: c.profile, opts: { native: c.native, optimize: c.optimize } })),
      python,
      o.env,
    );
    cases.forEach((c, i) => {
      checkCase(o, c, must(answers[i]), 2, true);
    });
    const big = cases.filter((c, i) => {
      const a = answers[i];
      return a !== undefined && 'libseccomp' in a && a.libseccomp.length / 8 > 256;
    }).length;
    console.log(
      `model.itest ${label} corpus: ${cases.length} builds, ${programs - before.programs} programs compared ` +
        `(${big} longer than 256 instructions), ${probes - before.probes} probes, ` +
        `${failures.length - before.failures} disagreeing`,
    );
    expect(failures.slice(before.failures, before.failures + 4).join('\n\n')).toBe('');
    expect(big).toBeGreaterThan(50);
  }, 600_000);
}

describe.skipIf(!enabled)('decision model vs libseccomp 2.5.4 (python3-seccomp)', () => {
  oracleSuite('2.5.4 (Debian)', '2.5.4', () => ({ version: '2.5.4', env: undefined }));
});

// Built (or found in the cache) at collection: under CI=true a failed build throws here.
const lib26 = enabled ? built.builtLibseccomp() : undefined;

describe.skipIf(lib26?.ok !== true)(
  'decision model vs libseccomp 2.6.0 (built from the release)',
  () => {
    oracleSuite('2.6.0 (built)', '2.6', () => {
      if (lib26?.ok !== true) throw new Error(lib26?.why ?? 'libseccomp 2.6.0 not built');
      return { version: '2.6', env: built.libseccompEnv(lib26.oracle) };
    });
  },
);
