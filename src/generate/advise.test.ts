import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { advise } from './advise.js';
import {
  CAPABILITY_ISOLATION,
  capabilityIsolation,
  DOCKER_DEFAULT_PROFILE_TEXT,
} from '../kb/index.js';
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
    {
      name: 'bpf on kernel 5.8+ needs CAP_BPF, not CAP_SYS_ADMIN',
      calls: [['bpf']],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_BPF'],
    },
    {
      name: 'bpf on kernel 5.4 (no CAP_BPF yet) needs CAP_SYS_ADMIN',
      calls: [['bpf']],
      kernel: { major: 5, minor: 4 },
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_ADMIN'],
    },
    {
      name: 'perf_event_open on kernel 5.8+ needs CAP_PERFMON',
      calls: [['perf_event_open']],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_PERFMON'],
    },
    {
      name: 'init_module needs CAP_SYS_MODULE',
      calls: [['init_module']],
      kernel: K61,
      verdict: 'cap-add',
      capAdd: ['CAP_SYS_MODULE'],
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

describe('advise: escape-grade capabilities are marked, crashes are reported (issue 9 item 6)', () => {
  test.each([
    ['mount', 'CAP_SYS_ADMIN', K61],
    ['init_module', 'CAP_SYS_MODULE', K61],
    ['kcmp', 'CAP_SYS_PTRACE', K61],
    ['iopl', 'CAP_SYS_RAWIO', K61],
    ['open_by_handle_at', 'CAP_DAC_READ_SEARCH', K61],
    ['reboot', 'CAP_SYS_BOOT', K61],
    ['bpf', 'CAP_SYS_ADMIN', { major: 5, minor: 4 }],
  ] as const)('%s: %s breaks container isolation, with the alternative', (name, cap, kernel) => {
    const a = advise(evidence([[name]]), { kernel });
    expect(a.capAdd).toEqual([cap]);
    const f = capabilityIsolation(cap);
    expect(a.isolation).toEqual([{ cap, why: f.breaksIsolation, alternative: f.alternative }]);
    expect(f.alternative).toBeDefined();
  });

  test.each([
    ['bpf', 'CAP_BPF'],
    ['perf_event_open', 'CAP_PERFMON'],
    ['ptrace', undefined],
  ] as const)('%s on kernel 6.1: no isolation warning', (name, cap) => {
    const a = advise(evidence([[name]]), { kernel: K61 });
    expect(a.capAdd).toEqual(cap === undefined ? [] : [cap]);
    expect(a.isolation).toEqual([]);
  });

  test('every capability the knowledge base marks has its alternative', () => {
    for (const [cap, f] of Object.entries(CAPABILITY_ISOLATION)) {
      if (f.breaksIsolation !== undefined) expect(f.alternative, cap).toBeDefined();
      if (f.splitFrom !== undefined) expect(f.since, cap).toBeDefined();
    }
  });

  test("advise's own help example: malloc_info(0, NULL) segfaults, and advise says so", () => {
    // The trace as strace -f prints it: the workload dies of SIGSEGV inside malloc_info.
    const ev = {
      ...evidence(MALLOC_INFO),
      meta: { inputs: 1, sources: ['t'], crashes: ['pid 7 killed by SIGSEGV (t line 40)'] },
    };
    const a = advise(ev, { kernel: K61 });
    expect(a.verdict).toBe('incomplete');
    expect(a.change).toMatch(/crashed while recorded \(pid 7 killed by SIGSEGV/);
    expect(a.crashes).toEqual(['pid 7 killed by SIGSEGV (t line 40)']);
    // A crash beside a needed change is a note; the change stands.
    const b = advise({ ...ev, syscalls: evidence([['mount']]).syscalls }, { kernel: K61 });
    expect(b.verdict).toBe('cap-add');
    expect(b.notes.some((n) => n.includes('crashed while recorded'))).toBe(true);
  });
});
