/**
 * socketcall-bypass: a socket or IPC call is argument-filtered, but on a multiplexing ABI libseccomp
 * also lets its socketcall(2)/ipc(2) form through with only the sub-call number checked.
 */
import { allowlist, arg, rule } from '../case-kit.js';
import type { LintRule } from '../types.js';

/** validate's issue code this rule reports (compile/multiplexer-check.ts, decided on the plan). */
export const MULTIPLEXER_BYPASS_CODE = 'multiplexer-bypass';

export const socketcallBypass: LintRule = {
  meta: {
    id: 'socketcall-bypass',
    severity: 'warning',
    security: true,
    short: 'A socket or IPC argument filter that socketcall or ipc bypasses',
    long: "On i386, s390, ppc and mips o32 a socket or SysV IPC call can also be made through its multiplexer, socketcall(2) or ipc(2), whose real arguments sit behind a pointer seccomp cannot read. libseccomp therefore adds, for a rule on socket, a rule on socketcall(SYS_SOCKET) that checks only the sub-call number: a profile that allows socket only for AF_UNIX (or refuses AF_ALG and AF_VSOCK, as Docker's default does) allows every family to a 32-bit program. Decided on the compiled filter per multiplexing ABI. Refuse the ABI (leave x86 out of the architectures when no 32-bit program runs), refuse socketcall/ipc outright (this breaks 32-bit programs that use them, as moby/moby#52506 found), or enforce the family in an LSM.",
    sources: [
      'moby/moby#33108',
      'moby/moby#52506',
      'containers/common#2280',
      'seccomp/libseccomp src/syscalls.c (abi_rule_add)',
    ],
  },
  detect(ctx) {
    return ctx.issues
      .filter((i) => i.code === MULTIPLEXER_BYPASS_CODE)
      .map((i) => ({ pointer: i.pointer, message: i.message }));
  },
  cases: {
    valid: [
      {
        name: 'socket filtered on x86_64 alone',
        profile: {
          ...allowlist(rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 1)] })),
          architectures: ['SCMP_ARCH_X86_64'],
        },
      },
    ],
    invalid: [
      {
        name: 'socket for AF_UNIX only, with x86 in the filter',
        profile: allowlist(
          rule(['socket'], 'SCMP_ACT_ALLOW', { args: [arg(0, 'SCMP_CMP_EQ', 1)] }),
        ),
        pointers: ['/syscalls/1'],
      },
    ],
  },
};
