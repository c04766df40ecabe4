import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { advise } from './advise.js';
import { DOCKER_DEFAULT_PROFILE_TEXT } from '../kb/index.js';
import type { Evidence, EvidenceSyscall } from './evidence.js';
import type { ArchName } from '../arch/index.js';

type Call = readonly [
  name: string,
  args?: Record<string, readonly [index: number, value: bigint]>,
  abi?: ArchName,
];

function evidence(calls: readonly Call[]): Evidence {
  const syscalls: EvidenceSyscall[] = calls.map(([name, args = {}, abi = 'x86_64']) => ({
    abi,
    name,
    count: 1,
    coverage: 1,
    errors: {},
    firstSeen: { source: 't', line: 1 },
    processes: [],
    executables: [],
    args: Object.fromEntries(
      Object.entries(args).map(([label, [index, value]]) => [
        label,
        { index, values: [{ value: value.toString(), text: value.toString(), count: 1 }] },
      ]),
    ),
    logged: {},
  }));
  return {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: [] },
    totals: { calls: syscalls.length, syscalls: syscalls.length, processes: 1 },
    syscalls,
  };
}

/** What a program that only calls malloc_info() on itself does (glibc writes XML to a FILE). */
const MALLOC_INFO: readonly Call[] = [
  ['execve'],
  ['brk'],
  ['mmap'],
  ['munmap'],
  ['mprotect'],
  ['openat'],
  ['newfstatat'],
  ['read'],
  ['close'],
  ['write'],
  ['futex'],
  ['getrandom'],
  ['arch_prctl'],
  ['set_tid_address'],
  ['set_robust_list'],
  ['rseq'],
  ['prlimit64'],
  ['exit_group'],
];
const K44 = { major: 4, minor: 4 };
const K61 = { major: 6, minor: 1 };

// Expected answers derived by hand from moby's default.json (ptrace/process_vm_* allowed from kernel 4.8
// or with CAP_SYS_PTRACE; kcmp only with CAP_SYS_PTRACE; socket refuses AF_ALG 38 and AF_VSOCK 40;
// personality only 0, 8, 0x20000, 0x20008, 0xffffffff; clone namespace flags and mount need CAP_SYS_ADMIN).
describe('advise: seed 001 and Docker default-profile cases', () => {
  test.each([
    {
      name: 'malloc_info on its own process needs nothing',
      calls: MALLOC_INFO,
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'ptrace on kernel >= 4.8 is allowed by the profile',
      calls: [['ptrace']],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'ptrace on kernel 4.4 needs CAP_SYS_PTRACE',
      calls: [['ptrace']],
      kernel: K44,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_PTRACE'],
    },
    {
      name: 'process_vm_readv on 4.4 needs CAP_SYS_PTRACE',
      calls: [['process_vm_readv']],
      kernel: K44,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_PTRACE'],
    },
    {
      name: 'kcmp needs CAP_SYS_PTRACE on any kernel',
      calls: [['kcmp']],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_PTRACE'],
    },
    {
      name: 'mount needs CAP_SYS_ADMIN',
      calls: [['mount']],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_ADMIN'],
    },
    {
      name: 'clone with CLONE_NEWUSER needs CAP_SYS_ADMIN',
      calls: [['clone', { flags: [0, 0x10000011n] }]],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_ADMIN'],
    },
    {
      name: 'plain clone is fine',
      calls: [['clone', { flags: [0, 0x1200011n] }]],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'AF_UNIX sockets are fine',
      calls: [['socket', { family: [0, 1n] }]],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'AF_VSOCK needs a custom profile (no capability unblocks it)',
      calls: [['socket', { family: [0, 40n] }]],
      kernel: K61,
      verdict: 'custom-profile',
      capAdd: [],
    },
    {
      name: 'personality(ADDR_NO_RANDOMIZE) needs a custom profile',
      calls: [['personality', { persona: [0, 0x40000n] }]],
      kernel: K61,
      verdict: 'custom-profile',
      capAdd: [],
    },
    {
      name: 'personality(PER_LINUX32) is fine',
      calls: [['personality', { persona: [0, 8n] }]],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'clone3 gets ENOSYS and libc falls back: nothing needed',
      calls: [['clone3']],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'chroot is allowed with the default CAP_SYS_CHROOT',
      calls: [['chroot']],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'i386 write (nr 4) is covered by the archMap',
      calls: [['write', {}, 'x86']],
      kernel: K61,
      verdict: 'none',
      capAdd: [],
    },
    {
      name: 'mixed: cap-add and a custom profile',
      calls: [['mount'], ['socket', { family: [0, 38n] }]],
      kernel: K61,
      verdict: 'custom-profile',
      capAdd: ['CAP_SYS_ADMIN'],
    },
  ] as const)('$name', ({ calls, kernel, verdict, capAdd }) => {
    const a = advise(evidence(calls), { kernel });
    expect(a.verdict).toBe(verdict);
    expect(a.capAdd).toEqual(capAdd);
    expect(a.change).not.toMatch(/unconfined/);
    if (verdict === 'none') expect(a.blocked).toEqual([]);
    else expect(a.blocked.length).toBeGreaterThan(0);
  });

  test('blocked calls name the argument value and the outcome', () => {
    const a = advise(evidence([['socket', { family: [0, 40n] }]]), { kernel: K61 });
    expect(a.blocked).toEqual([
      expect.objectContaining({ name: 'socket', args: 'family=40', outcome: 'EPERM' }),
    ]);
    expect(a.change).toMatch(/sysgate generate .*--security-opt seccomp=profile.json/);
  });

  test('without Docker default caps, chroot needs --cap-add SYS_CHROOT', () => {
    const a = advise(evidence([['chroot']]), { kernel: K61, caps: [] });
    expect(a.verdict).toBe('cap-add');
    expect(a.change).toBe('--cap-add SYS_CHROOT');
  });

  test('the embedded default profile is the shipped example file', () => {
    const file = readFileSync(
      resolve(import.meta.dirname, '../../examples/docker-default.json'),
      'utf8',
    );
    expect(DOCKER_DEFAULT_PROFILE_TEXT).toBe(file);
  });
});
