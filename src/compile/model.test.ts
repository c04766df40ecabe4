/**
 * Table-driven tests of the decision model: libseccomp-style case tables (test/fixtures/compile/*.tsv,
 * one per fixture profile) whose expected actions come from docs/semantics.md and from libseccomp
 * 2.5.4 itself, plus refusals, stacked filters and the kernel's post-processing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { archInfo, isArchName } from '../arch/arches.js';
import { syscallNumber } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import type { SeccompData } from '../bpf/seccomp.js';
import { ProfileError } from '../profile/errors.js';
import type { ActionName, ArgCondition, OpName } from '../profile/types.js';
import { buildPlan, type ModelProfile, type ModelSyscallRule } from './build.js';
import { combineStacked, decide, kernelOutcome } from './decide.js';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/compile',
);

interface RawRule {
  names: string[];
  action: ActionName;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: OpName }[];
}

interface RawFixture {
  host: ArchName;
  profile: {
    defaultAction: ActionName;
    defaultErrnoRet?: number;
    architectures: string[];
    syscalls: RawRule[];
  };
}

function toProfile(raw: RawFixture['profile']): ModelProfile {
  const syscalls: ModelSyscallRule[] = raw.syscalls.map((r, i) => ({
    names: r.names,
    action: r.action,
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    args: (r.args ?? []).map((a): ArgCondition => ({
      index: a.index,
      op: a.op,
      value: BigInt(a.value),
      valueTwo: BigInt(a.valueTwo ?? 0),
    })),
    pointer: `/syscalls/${i}`,
  }));
  return {
    defaultAction: raw.defaultAction,
    ...(raw.defaultErrnoRet !== undefined ? { defaultErrnoRet: raw.defaultErrnoRet } : {}),
    architectures: raw.architectures,
    syscalls,
  };
}

const ACTION_VALUES: Record<string, number> = {
  ALLOW: 0x7fff0000,
  KILL_THREAD: 0,
  KILL_PROCESS: 0x80000000,
  TRAP: 0x30000,
  LOG: 0x7ffc0000,
  ENOSYS: 0x50026,
};

function expectedValue(text: string): number {
  const m = /^(ERRNO|TRACE)\((\d+)\)$/.exec(text);
  if (m) return ((m[1] === 'ERRNO' ? 0x50000 : 0x7ff00000) | Number(m[2])) >>> 0;
  const v = ACTION_VALUES[text];
  if (v === undefined) throw new Error(`unknown expected action ${text}`);
  return v;
}

/** Values an `N` (any) column takes: the answer must not depend on them. */
const ANY: readonly bigint[] = [0n, 1n, 0xffffffffn, 0xffffffffffffffffn];

function parseNr(arch: ArchName, text: string): number {
  if (/^-?\d+$/.test(text) || /^0x[0-9a-f]+$/i.test(text)) return Number(text) | 0;
  const nr = syscallNumber(arch, text);
  if (nr === undefined) throw new Error(`${text} is not a syscall on ${arch}`);
  return nr;
}

const tables = readdirSync(fixtures).filter((f) => f.endsWith('.tsv'));

describe('case tables (test/fixtures/compile/*.tsv)', () => {
  for (const table of tables) {
    const base = table.replace(/\.tsv$/, '');
    const raw = JSON.parse(readFileSync(path.join(fixtures, `${base}.json`), 'utf8')) as RawFixture;
    const plan = buildPlan(toProfile(raw.profile), { arch: raw.host });
    const rows = readFileSync(path.join(fixtures, table), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    test.each(rows.map((r) => r.split('\t')))(
      `${base}: %s %s (%s %s %s %s %s %s) -> %s`,
      (...cols) => {
        const [archText, sys, a0, a1, a2, a3, a4, a5, expected, why] = cols;
        if (
          archText === undefined ||
          sys === undefined ||
          expected === undefined ||
          !isArchName(archText)
        ) {
          throw new Error(`bad row ${cols.join(' ')}`);
        }
        const arch = archText;
        const nr = parseNr(arch, sys);
        const want = expectedValue(expected);
        const columns = [a0, a1, a2, a3, a4, a5].map((c) =>
          c === undefined || c === 'N' ? undefined : BigInt(c),
        );
        for (const any of ANY) {
          const args = columns.map((c) => c ?? any) as unknown as SeccompData['args'];
          const data: SeccompData = {
            nr,
            arch: archInfo(arch).auditArch,
            instructionPointer: 0n,
            args,
          };
          const d = decide(plan, data);
          expect(d.value >>> 0, `${why ?? ''}; path ${d.path.join(' | ')}`).toBe(want);
        }
      },
    );
  }
});

function rule(
  names: string[],
  action: ActionName,
  args: ArgCondition[] = [],
  extra: { errnoRet?: number } = {},
  i = 0,
): ModelSyscallRule {
  return { names, action, args, pointer: `/syscalls/${i}`, ...extra };
}

const eq = (index: number, value: bigint): ArgCondition => ({
  index,
  op: 'SCMP_CMP_EQ',
  value,
  valueTwo: 0n,
});

describe('refusals name the rule', () => {
  const cases: { name: string; profile: ModelProfile; pointer: string }[] = [
    {
      name: 'ERRNO data 4095 (libseccomp: data must be below MAX_ERRNO)',
      profile: {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: [],
        syscalls: [rule(['read'], 'SCMP_ACT_ERRNO', [], { errnoRet: 4095 })],
      },
      pointer: '/syscalls/0/errnoRet',
    },
    {
      name: 'same condition with two actions (EEXIST)',
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: [],
        syscalls: [
          rule(['read'], 'SCMP_ACT_ALLOW', [eq(0, 1n)]),
          rule(['read'], 'SCMP_ACT_KILL', [eq(0, 1n)], {}, 1),
        ],
      },
      pointer: '/syscalls/1',
    },
    {
      name: 'argument index 7 on a rule that is not skipped',
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: [],
        syscalls: [rule(['read'], 'SCMP_ACT_ALLOW', [eq(7, 1n)])],
      },
      pointer: '/syscalls/0/args/0/index',
    },
    {
      name: 'NOTIFY as default action',
      profile: { defaultAction: 'SCMP_ACT_NOTIFY', architectures: [], syscalls: [] },
      pointer: '/defaultAction',
    },
    {
      name: 'big-endian arch in a little-endian filter (EDOM)',
      profile: {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_S390X'],
        syscalls: [],
      },
      pointer: '/architectures/0',
    },
  ];
  test.each(cases)('$name', ({ profile, pointer }) => {
    let err: unknown;
    try {
      buildPlan(profile, { arch: 'x86_64' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as ProfileError).issues[0].pointer).toBe(pointer);
  });

  test('an unknown name is skipped before its arguments are validated', () => {
    const p = buildPlan(
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: [],
        syscalls: [rule(['not_a_syscall'], 'SCMP_ACT_ALLOW', [eq(9, 1n)])],
      },
      { arch: 'x86_64' },
    );
    expect(p.arches[0]?.syscalls).toEqual([]);
  });
});

describe('kernel facts', () => {
  test.each([
    { name: 'no filter allows', values: [], want: 0x7fff0000 },
    { name: 'strongest action wins', values: [0x7fff0000, 0x50001, 0x30000], want: 0x30000 },
    {
      name: 'KILL_PROCESS beats KILL_THREAD (signed compare)',
      values: [0, 0x80000000],
      want: 0x80000000,
    },
    { name: 'tie: the newest filter keeps its data', values: [0x50001, 0x5000d], want: 0x5000d },
    { name: 'tie in the other order', values: [0x5000d, 0x50001], want: 0x50001 },
  ])('combineStacked: $name', ({ values, want }) => {
    expect(combineStacked(values)).toBe(want);
  });

  test('ERRNO data is capped at 4095 and unknown actions kill the process', () => {
    expect(kernelOutcome(0x5ffff)).toEqual({ kind: 'errno', errno: 4095 });
    expect(kernelOutcome(0x50000)).toEqual({ kind: 'errno', errno: 0 });
    expect(kernelOutcome(0x00010000).kind).toBe('kill_process');
  });
});

describe('the plan records every rule fate (runc, then libseccomp per ABI)', () => {
  const eq0 = (v: bigint): ArgCondition => ({
    index: 0,
    op: 'SCMP_CMP_EQ',
    value: v,
    valueTwo: 0n,
  });
  const r = (i: number, names: string[], action: ActionName, args: ArgCondition[] = []) => ({
    names,
    action,
    args,
    pointer: `/syscalls/${i}`,
  });
  const fates = (syscalls: ReturnType<typeof r>[], arches = ['SCMP_ARCH_X86_64']) =>
    buildPlan(
      { defaultAction: 'SCMP_ACT_ERRNO', architectures: arches, syscalls },
      { arch: 'x86_64' },
    ).rules.map((x) => [
      x.pointer,
      x.name,
      x.runc.kind,
      x.arches.map((a) =>
        a.kind === 'shadowed' ? `${a.arch}:shadowed by ${a.by.join(',')}` : `${a.arch}:${a.kind}`,
      ),
    ]);

  test('the first unconditional rule wins; a later one is shadowed by it', () => {
    expect(fates([r(0, ['read'], 'SCMP_ACT_ALLOW'), r(1, ['read'], 'SCMP_ACT_KILL')])).toEqual([
      ['/syscalls/0', 'read', 'kept', ['x86_64:decides']],
      ['/syscalls/1', 'read', 'kept', ['x86_64:shadowed by /syscalls/0']],
    ]);
  });

  test('an unconditional rule shadows an earlier conditional one (libseccomp drops its chains)', () => {
    expect(
      fates([
        r(0, ['personality'], 'SCMP_ACT_ALLOW', [eq0(8n)]),
        r(1, ['personality'], 'SCMP_ACT_LOG'),
      ]),
    ).toEqual([
      ['/syscalls/0', 'personality', 'kept', ['x86_64:shadowed by /syscalls/1']],
      ['/syscalls/1', 'personality', 'kept', ['x86_64:decides']],
    ]);
  });

  test('a rule equal to the default shadows nothing: runc never passed it on', () => {
    expect(fates([r(0, ['read'], 'SCMP_ACT_ERRNO'), r(1, ['read'], 'SCMP_ACT_ALLOW')])).toEqual([
      ['/syscalls/0', 'read', 'equals-default', []],
      ['/syscalls/1', 'read', 'kept', ['x86_64:decides']],
    ]);
  });

  test('split rules, and names absent on a sub-arch', () => {
    expect(
      fates(
        [
          r(0, ['personality'], 'SCMP_ACT_ALLOW', [eq0(1n), eq0(2n)]),
          r(1, ['newfstatat'], 'SCMP_ACT_ALLOW'),
        ],
        ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      ),
    ).toEqual([
      ['/syscalls/0', 'personality', 'split', ['x86_64:decides', 'x86:decides']],
      ['/syscalls/1', 'newfstatat', 'kept', ['x86_64:decides', 'x86:absent']],
    ]);
  });
});
