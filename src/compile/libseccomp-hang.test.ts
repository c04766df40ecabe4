/**
 * Profiles on which libseccomp 2.5.4 never returns from `seccomp_rule_add`: adding the second rule
 * leaves a level of the syscall's rule tree as a cycle of `lvl_prv` links, and the put of the new
 * rule's tree (`_db_tree_put` -> `_db_level_clean`) walks it forever. python3-seccomp 2.5.4 ran
 * 300 s in `seccomp_rule_add` at both optimize levels without returning (memory flat; gdb: the
 * put/clean recursion under `db_rule_add`). The port used to spin the same way (found as fast-check
 * seed 7, sample 212 of a random-profile generator); now it stops there with `libseccomp-hangs`.
 * The neighbours below terminate in both, with the lengths python3-seccomp exports.
 */
import { describe, expect, test } from 'vitest';
import type { ArgCondition } from '../profile/types.js';
import { ProfileError } from '../profile/errors.js';
import type { ModelProfile, ModelSyscallRule } from './build.js';
import { compileProfile } from './compile.js';
import { libseccompProgram } from './libseccomp.js';

const MAX = 0xffffffffffffffffn;
const c = (index: number, op: ArgCondition['op'], value: bigint, valueTwo = 0n): ArgCondition => ({
  index,
  op,
  value,
  valueTwo,
});
const rule = (
  names: string[],
  action: ModelSyscallRule['action'],
  args: ArgCondition[],
  i: number,
): ModelSyscallRule => ({ names, action, args, pointer: `/syscalls/${i}` });
const profile = (syscalls: ModelSyscallRule[]): ModelProfile => ({
  defaultAction: 'SCMP_ACT_KILL',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls,
});

/** `a1 & 18 == 4 && a0 <= 2^64-1`, then `a2 == a2value && a0 <= a0max`, both ALLOW on fcntl. */
const pair = (a2value: bigint, a0max: bigint, reversed = false): ModelProfile => {
  const first = [c(1, 'SCMP_CMP_MASKED_EQ', 18n, 4n), c(0, 'SCMP_CMP_LE', MAX, 18n)];
  const second = [c(2, 'SCMP_CMP_EQ', a2value, 16n), c(0, 'SCMP_CMP_LE', a0max, 2n)];
  const rules = reversed ? [second, first] : [first, second];
  return profile(rules.map((args, i) => rule(['fcntl'], 'SCMP_ACT_ALLOW', args, i)));
};

/** Fast-check seed 7, sample 212: twelve rules on socket, ioctl, fcntl, read and personality. */
const SAMPLE_212 = profile([
  rule(['socket', 'ioctl', 'read', 'personality'], 'SCMP_ACT_TRAP', [], 0),
  rule(
    ['read'],
    'SCMP_ACT_TRAP',
    [
      c(0, 'SCMP_CMP_GT', 8n, 1n << 32n),
      c(0, 'SCMP_CMP_NE', 1n << 32n, MAX),
      c(0, 'SCMP_CMP_MASKED_EQ', 0xffffffffn, 7n),
    ],
    1,
  ),
  rule(
    ['socket', 'fcntl', 'read', 'personality'],
    'SCMP_ACT_ALLOW',
    [
      c(2, 'SCMP_CMP_LT', 1n << 32n, 1n << 32n),
      c(1, 'SCMP_CMP_MASKED_EQ', 18n, 4n),
      c(0, 'SCMP_CMP_LE', MAX, 18n),
    ],
    2,
  ),
  rule(
    ['ioctl'],
    'SCMP_ACT_ALLOW',
    [c(1, 'SCMP_CMP_LT', 1n << 32n, 18n), c(0, 'SCMP_CMP_EQ', MAX, MAX)],
    3,
  ),
  rule(['socket', 'fcntl', 'personality'], 'SCMP_ACT_KILL', [], 4),
  rule(
    ['read', 'personality'],
    'SCMP_ACT_LOG',
    [c(1, 'SCMP_CMP_NE', 16n, 20n), c(0, 'SCMP_CMP_LE', MAX, MAX)],
    5,
  ),
  rule(
    ['socket', 'ioctl', 'fcntl', 'read', 'personality'],
    'SCMP_ACT_LOG',
    [c(0, 'SCMP_CMP_MASKED_EQ', 17n, 16n), c(1, 'SCMP_CMP_EQ', 1n, 1n << 32n)],
    6,
  ),
  rule(['socket'], 'SCMP_ACT_ALLOW', [c(0, 'SCMP_CMP_NE', 19n, 7n)], 7),
  rule(['socket', 'ioctl', 'read', 'personality'], 'SCMP_ACT_ALLOW', [], 8),
  rule(
    ['socket', 'fcntl'],
    'SCMP_ACT_ALLOW',
    [c(2, 'SCMP_CMP_EQ', 1n << 32n, 16n), c(0, 'SCMP_CMP_LE', MAX, 2n)],
    9,
  ),
  rule(
    ['socket', 'fcntl'],
    'SCMP_ACT_TRAP',
    [
      c(0, 'SCMP_CMP_LT', 0xffffffffn, 5n),
      c(0, 'SCMP_CMP_LT', 0xffffffffn, 0xffffffffn),
      c(1, 'SCMP_CMP_MASKED_EQ', 1n, 12n),
    ],
    10,
  ),
  rule(
    ['ioctl', 'fcntl', 'read'],
    'SCMP_ACT_ERRNO',
    [
      c(1, 'SCMP_CMP_GE', 18n, 1n << 32n),
      c(1, 'SCMP_CMP_LT', MAX, 1n << 32n),
      c(1, 'SCMP_CMP_NE', 1n << 32n, 10n),
    ],
    11,
  ),
]);

function refusal(f: () => unknown): { code: string; pointer: string | undefined; message: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    const [i] = e.issues;
    return { code: i.code, pointer: i.pointer, message: i.message };
  }
  throw new Error('no ProfileError');
}

describe('profiles libseccomp 2.5.4 never returns from', () => {
  test.each([
    ['a2 == 2^32, then the pair', pair(1n << 32n, MAX), '/syscalls/1'],
    ['a2 == 2^32-1, then the pair', pair(0xffffffffn, MAX), '/syscalls/1'],
    ['fast-check seed 7, sample 212 (fcntl of /syscalls/9)', SAMPLE_212, '/syscalls/9'],
  ])('%s: libseccomp-hangs at the rule runc adds last, both levels', (_n, p, pointer) => {
    for (const optimize of [1, 2] as const) {
      const r = refusal(() => libseccompProgram(p, { arch: 'x86_64', optimize }));
      expect(r).toEqual({
        code: 'libseccomp-hangs',
        pointer,
        message:
          'libseccomp 2.5.4 never returns when runc adds this rule for fcntl (a level of its rule tree for the syscall becomes a cycle): runc hangs and the container never starts',
      });
    }
    expect(refusal(() => compileProfile(p, { arch: 'x86_64', stats: false })).code).toBe(
      'libseccomp-hangs',
    );
  });

  test.each([
    ['a0 <= 2^64-2 in the second rule', pair(1n << 32n, MAX - 1n), [34, 35]],
    ['the same two rules in the other order', pair(1n << 32n, MAX, true), [23, 24]],
  ])('%s: terminates, python3-seccomp lengths at levels 1 and 2', (_n, p, lengths) => {
    expect(
      ([1, 2] as const).map(
        (optimize) => libseccompProgram(p, { arch: 'x86_64', optimize }).length,
      ),
    ).toEqual(lengths);
  });
});
