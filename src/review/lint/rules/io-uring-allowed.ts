/** io-uring-allowed: an io_uring syscall runs for some arguments; its operations are never seen by seccomp. */
import { riskOf } from '../../../kb/index.js';
import { allowlist, arg, rule } from '../case-kit.js';
import { ByPointer, syscallDecisions } from '../engine.js';
import type { LintRule } from '../types.js';

/** The io_uring syscalls (Linux 5.1). */
export const IO_URING_SYSCALLS: readonly string[] = [
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
];

export const ioUringAllowed: LintRule = {
  meta: {
    id: 'io-uring-allowed',
    severity: 'error',
    security: true,
    short: 'io_uring allowed: its operations bypass seccomp',
    long: 'Once a ring is set up, reads, writes, opens, sockets and more are submitted as ring operations that never pass through the syscall filter, so an io_uring allow undoes the rest of the profile; it has also been the most exploited kernel interface (about 60 % of kCTF VRP 2022 submissions). Docker allowed io_uring in 2019 and removed it in 2023; containerd and Podman followed. Reported when io_uring_setup, io_uring_enter or io_uring_register runs for any argument vector on any ABI of the host, argument-filtered or not.',
    sources: [
      'moby/moby#39415',
      'moby/moby#46762',
      'containerd/containerd#9048',
      'security.googleblog.com/2023/06/learnings-from-kctf-vrps-42-linux.html',
    ],
  },
  detect(ctx) {
    const groups = new ByPointer();
    for (const name of IO_URING_SYSCALLS)
      for (const d of syscallDecisions(ctx, name))
        for (const leaf of d.running) {
          const p = ctx.leafPointer(leaf);
          if (p !== undefined) groups.add(p, d.abi, name);
        }
    return groups.entries().map((g) => ({
      pointer: g.pointer,
      message: `${g.syscalls.join(', ')} allowed on ${g.abis.join('/')}: ${riskOf('io_uring_setup').reason}; refuse io_uring (applications fall back to epoll and plain I/O on ENOSYS or EPERM)`,
      abis: g.abis,
      syscalls: g.syscalls,
    }));
  },
  cases: {
    valid: [
      { name: 'io_uring left to the default', profile: allowlist() },
      {
        name: 'io_uring refused in an allow-by-default profile',
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [rule(IO_URING_SYSCALLS, 'SCMP_ACT_ERRNO', { errnoRet: 38 })],
        },
      },
    ],
    invalid: [
      {
        name: 'io_uring_setup allowed',
        profile: allowlist(rule(['io_uring_setup', 'io_uring_enter'], 'SCMP_ACT_ALLOW')),
        pointers: ['/syscalls/1/names/0', '/syscalls/1/names/1'],
      },
      {
        name: 'io_uring_setup allowed for some entries counts',
        profile: allowlist(
          rule(['io_uring_setup'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_LE', 64)] }),
        ),
        pointers: ['/syscalls/1/names/0'],
      },
      {
        name: 'allowed by the default action',
        profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [rule(['mount'], 'SCMP_ACT_ERRNO')] },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
