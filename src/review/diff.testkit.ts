/**
 * Test helpers of the semantic diff: a profile document (Docker JSON) compiled into a diff side for
 * x86_64 with no capabilities on kernel 6.1, and a generator of random small profiles over the
 * argument constants the libseccomp oracle test can enumerate exhaustively.
 */
import fc from 'fast-check';
import { compileProfile } from '../compile/compile.js';
import { resolveProfile } from '../profile/resolve.js';
import { loadForRunc } from '../runc/check.js';
import type { FilterSide } from './diff.js';

/** A Docker-format profile document as the generator builds it. */
export interface ProfileDoc {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; value: bigint | number; valueTwo?: bigint | number; op: string }[];
  }[];
}

/** Compile a document into a side (x86_64 host, no caps, kernel 6.1, libseccomp 2.5.4). */
export function sideOf(doc: ProfileDoc, label = 'profile'): FilterSide {
  // 64-bit values go out as JSON numbers (Docker's uint64), not as strings.
  const text = JSON.stringify(doc, (_k, v: unknown) =>
    typeof v === 'bigint' ? `__big__${v}` : v,
  ).replace(/"__big__(\d+)"/g, '$1');
  const loaded = loadForRunc(label, text, { libseccomp: '2.5.4' });
  const resolved = resolveProfile(loaded.profile, {
    arch: 'x86_64',
    caps: [],
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('profile resolves to no seccomp');
  const c = compileProfile(resolved, { arch: 'x86_64', libseccompVersion: '2.5.4', stats: false });
  return { label, filters: [c.program], plan: c.plan };
}

/**
 * The argument constants of generated rules: small values, two 2^32 neighbours and the top; masks
 * over bits 0-2 and 32. Every argument class these comparisons make holds a vector of
 * {@link ORACLE_ARG_VALUES} (the libseccomp oracle test enumerates them).
 */
export const ARG_CONSTANTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  3n,
  5n,
  7n,
  1n << 32n,
  (1n << 32n) + 1n,
  (1n << 64n) - 1n,
];
/** Masks of generated SCMP_CMP_MASKED_EQ conditions. */
export const ARG_MASKS: readonly bigint[] = [1n, 2n, 4n, 5n, 7n, 1n << 32n, (1n << 32n) + 1n];

/**
 * Values that meet every class of the constants above: low words 0..8 and 0xfffffff8..0xffffffff
 * (every pattern of bits 0-2 on each side of every small constant) times high words 0, 1, 2 and
 * 0xffffffff (bit 32 set and clear, above and below 2^32 + 1, and the top).
 */
export const ORACLE_ARG_VALUES: readonly bigint[] = (() => {
  const los = [
    ...Array.from({ length: 9 }, (_, i) => BigInt(i)),
    ...Array.from({ length: 8 }, (_, i) => 0xfffffff8n + BigInt(i)),
  ];
  const his = [0n, 1n, 2n, 0xffffffffn];
  return his.flatMap((h) => los.map((l) => (h << 32n) | l));
})();

/** Syscalls generated rules name (numbers on every x86 ABI, socket multiplexed on x86). */
export const NAME_POOL = [
  'read',
  'write',
  'socket',
  'clone',
  'personality',
  'openat',
  'ioctl',
  'kill',
];

const OPS = [
  'SCMP_CMP_EQ',
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];

const cond = fc
  .record({
    index: fc.integer({ min: 0, max: 1 }),
    op: fc.constantFrom(...OPS),
    value: fc.constantFrom(...ARG_CONSTANTS),
    mask: fc.constantFrom(...ARG_MASKS),
  })
  .map((c) =>
    c.op === 'SCMP_CMP_MASKED_EQ'
      ? {
          index: c.index,
          op: c.op,
          value: c.mask,
          valueTwo: c.value & c.mask,
        }
      : { index: c.index, op: c.op, value: c.value },
  );

const action = fc.constantFrom(
  { action: 'SCMP_ACT_ALLOW' },
  { action: 'SCMP_ACT_LOG' },
  { action: 'SCMP_ACT_ERRNO' },
  { action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
  { action: 'SCMP_ACT_KILL' },
  { action: 'SCMP_ACT_TRAP' },
);

/** A random small profile: rules over distinct names of {@link NAME_POOL}, at most two conditions. */
export const arbProfile: fc.Arbitrary<ProfileDoc> = fc
  .record({
    def: fc.constantFrom(
      { defaultAction: 'SCMP_ACT_ERRNO' },
      { defaultAction: 'SCMP_ACT_ALLOW' },
      { defaultAction: 'SCMP_ACT_KILL_PROCESS' },
    ),
    arches: fc.subarray(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']),
    names: fc.shuffledSubarray(NAME_POOL, { minLength: 1, maxLength: 5 }),
    rules: fc.array(
      fc.record({
        act: action,
        args: fc.array(cond, { maxLength: 2 }),
        take: fc.integer({ min: 1, max: 2 }),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    ),
  })
  .map(({ def, arches, names, rules }) => {
    const pool = [...names];
    const syscalls: ProfileDoc['syscalls'] = [];
    for (const r of rules) {
      const taken = pool.splice(0, r.take);
      if (taken.length === 0) break;
      syscalls.push({ names: taken, ...r.act, ...(r.args.length > 0 ? { args: r.args } : {}) });
    }
    return { ...def, architectures: arches, syscalls };
  });
