/**
 * Profiles shared by the loader differential tests (crun, containerd): hand-written OCI documents,
 * the corpus files, random OCI documents, and the names a container running `sleep infinity` needs
 * whatever the profile says.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { CRUN_POST_LOAD } from '../../src/kb/runtimes.js';
import type { ActionName, ArgCondition } from '../../src/profile/types.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';
import { OPS } from './probe-values.testkit.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What `sleep infinity` (it ends in pause()) and crun's work after loading the filter need (x86_64,
 * glibc 2.36).
 */
export const NEEDED = [
  ...new Set([
    ...(AF_UNIX_ONLY_PROFILE.syscalls[0]?.names ?? []),
    ...Object.keys(CRUN_POST_LOAD),
    'pause',
  ]),
].filter((n) => n !== 'socket');

/** Hand-written profiles (OCI documents). */
export const HAND: readonly { readonly name: string; readonly json: object }[] = [
  {
    name: 'moby default (examples/docker-default.json)',
    json: JSON.parse(readFileSync(join(root, 'examples/docker-default.json'), 'utf8')) as object,
  },
  { name: 'AF_UNIX-only allowlist', json: AF_UNIX_ONLY_PROFILE },
  {
    name: 'no architectures, defaultErrnoRet 13, a 64-bit personality value',
    json: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      syscalls: [
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }],
        },
        { names: ['mkdir', 'nosuchcall', 'uretprobe'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    },
  },
  {
    name: 'repeated argument index (split), TRACE and LOG, x32 only',
    json: {
      defaultAction: 'SCMP_ACT_KILL',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
      syscalls: [
        {
          names: ['setns'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1234,
          args: [
            { index: 1, value: 0x20000000, op: 'SCMP_CMP_EQ' },
            { index: 1, value: 0x40000000, op: 'SCMP_CMP_EQ' },
          ],
        },
        { names: ['sync'], action: 'SCMP_ACT_LOG' },
        { names: ['syncfs'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      ],
    },
  },
  {
    name: 'socket ERRNO for AF_VSOCK and ALLOW below AF_ALG with x86 (libseccomp refuses)',
    json: {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        {
          names: ['socket'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 97,
          args: [{ index: 0, value: 40, op: 'SCMP_CMP_EQ' }],
        },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 38, op: 'SCMP_CMP_LT' }],
        },
      ],
    },
  },
];

/** Every Docker/OCI profile document of the corpus, by file; files that are not one are counted. */
export function corpus(): { name: string; json: object }[] {
  const dir = join(root, 'test/fixtures/corpus/profiles');
  const out: { name: string; json: object }[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    out.push({ name: f, json: { file: join(dir, f) } });
  }
  return out;
}

/** Names the random profiles use: none that `sleep` or crun needs, some unknown or multiplexed. */
const RANDOM_NAMES = [
  'mkdir',
  'rmdir',
  'personality',
  'setns',
  'ptrace',
  'mount',
  'reboot',
  'sync',
  'syncfs',
  'getpriority',
  'setpriority',
  'chmod',
  'link',
  'unshare',
  'keyctl',
  'sethostname',
  'socketcall',
  'ipc',
  'uretprobe',
  'nosuchcall',
  'kexec_load',
  'bpf',
  'io_uring_setup',
  'chown32',
];
const VALUES = [0n, 1n, 2n, 7n, 38n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn];
const RULE_ACTIONS: readonly ActionName[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
];
const ARCH_SETS: readonly (readonly string[])[] = [
  [],
  ['SCMP_ARCH_X86_64'],
  ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
  ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ['SCMP_ARCH_X86'],
];

const argArb: fc.Arbitrary<ArgCondition> = fc.record({
  index: fc.integer({ min: 0, max: 2 }),
  op: fc.constantFrom(...OPS),
  value: fc.constantFrom(...VALUES),
  valueTwo: fc.constantFrom(...VALUES),
});

/** A random OCI `linux.seccomp` document. */
export const randomArb: fc.Arbitrary<object> = fc
  .record({
    def: fc.constantFrom<ActionName>(
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_LOG',
      'SCMP_ACT_ALLOW',
    ),
    defErrno: fc.option(fc.constantFrom(13, 38, 3000), { nil: undefined }),
    arches: fc.constantFrom(...ARCH_SETS),
    rules: fc.array(
      fc.record({
        names: fc.uniqueArray(fc.constantFrom(...RANDOM_NAMES), { minLength: 1, maxLength: 3 }),
        action: fc.constantFrom(...RULE_ACTIONS),
        errnoRet: fc.option(fc.constantFrom(0, 1, 22, 2001), { nil: undefined }),
        args: fc.array(argArb, { minLength: 0, maxLength: 3 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map((r) => ({
    defaultAction: r.def,
    ...(r.defErrno !== undefined && r.def === 'SCMP_ACT_ERRNO' && { defaultErrnoRet: r.defErrno }),
    ...(r.arches.length > 0 && { architectures: r.arches }),
    syscalls: r.rules.map((x) => ({
      names: x.names,
      action: x.action,
      ...(x.errnoRet !== undefined &&
        (x.action === 'SCMP_ACT_ERRNO' || x.action === 'SCMP_ACT_TRACE') && {
          errnoRet: x.errnoRet,
        }),
      ...(x.args.length > 0 && {
        args: x.args.map((a) => ({
          index: a.index,
          op: a.op,
          value: a.value,
          valueTwo: a.valueTwo,
        })),
      }),
    })),
  }));

/** JSON text with bigints written as plain integer literals (OCI's uint64 fields). */
export function jsonWithBigints(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? `@@big${v.toString()}@@` : v,
  ).replace(/"@@big(\d+)@@"/g, '$1');
}

export const RANDOM = fc
  .sample(randomArb, { seed: 20261207, numRuns: 40 })
  .map((json, i) => ({ name: `random #${i}`, json }));
