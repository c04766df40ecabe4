/**
 * Compares every constant sysgate hard-codes (audit tokens, ELF machines, socketcall/ipc sub-calls,
 * capabilities, errno, signals, AF_/SOCK_/CLONE_/PROT_/MAP_/PR_/ioctl/O_/AT_ values) with the C
 * headers of this (x86_64) machine, by compiling a program with gcc. Runs when gcc is present and
 * must run under CI=true.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHES, EM } from './arches.js';
import { constantGroups } from './constants.js';
import { IPC_SUBCALLS, SOCKETCALL_SUBCALLS } from './syscalls.js';

const CI = process.env.CI === 'true';
const hasGcc = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).error === undefined;
const isX86_64 = process.arch === 'x64';

/** Names whose userspace value differs from the kernel value we keep, with the reason. */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
  O_LARGEFILE: 'glibc defines it as 0 on 64-bit; the kernel value is 0100000',
};

/** Compiles and runs a program printing `NAME value` for each defined name. */
function headerValues(names: readonly string[]): Map<string, bigint> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sysgate-consts-'));
  try {
    const lines = names.map((n) => `#ifdef ${n}\n  P(${n});\n#endif`);
    const src = `#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/personality.h>
#include <linux/capability.h>
#include <linux/audit.h>
#include <linux/elf-em.h>
#include <linux/net.h>
#include <linux/ipc.h>
#define P(x) printf("%s %lld\\n", #x, (long long)(x))
int main(void) {
${lines.join('\n')}
  return 0;
}
`;
    const c = path.join(dir, 'c.c');
    const exe = path.join(dir, 'c');
    writeFileSync(c, src);
    execFileSync('gcc', ['-w', '-o', exe, c]);
    const out = execFileSync(exe).toString();
    const map = new Map<string, bigint>();
    for (const line of out.trim().split('\n')) {
      const [k, v] = line.split(' ');
      if (k !== undefined && v !== undefined) map.set(k, BigInt(v));
    }
    return map;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.runIf((hasGcc || CI) && isX86_64)('constants vs the C headers (x86_64)', () => {
  const ours = new Map<string, bigint>();
  for (const table of Object.values(constantGroups('x86_64'))) {
    for (const [k, v] of Object.entries(table)) ours.set(k, BigInt(v));
  }
  for (const a of ARCHES) if (a.name !== 'x32') ours.set(a.auditArchName, BigInt(a.auditArch));
  for (const [k, v] of Object.entries(EM)) ours.set(k, BigInt(v));
  for (const [k, v] of Object.entries(SOCKETCALL_SUBCALLS))
    ours.set(`SYS_${k.toUpperCase()}`, BigInt(v));
  for (const [k, v] of Object.entries(IPC_SUBCALLS)) ours.set(k.toUpperCase(), BigInt(v));

  it('gcc is installed (required under CI)', () => {
    expect(hasGcc).toBe(true);
  });

  it('every hard-coded value the headers define is equal', () => {
    const theirs = headerValues([...ours.keys()]);
    const mismatches: string[] = [];
    for (const [k, v] of ours) {
      const t = theirs.get(k);
      if (t === undefined || k in KNOWN_DIFFERENCES) continue;
      if (BigInt.asIntN(64, t) !== BigInt.asIntN(64, v))
        mismatches.push(`${k}: ours ${v}, headers ${t}`);
    }
    expect(mismatches).toEqual([]);
    // The check must cover most of the tables, not a handful of names.
    expect(theirs.size).toBeGreaterThan(350);
    for (const name of [
      'AUDIT_ARCH_X86_64',
      'AUDIT_ARCH_MIPSEL64N32',
      'CAP_CHECKPOINT_RESTORE',
      'SYS_SENDMMSG',
      'SHMCTL',
      'ENOSYS',
      'TIOCSTI',
      'CLONE_NEWUSER',
      'PR_SET_NO_NEW_PRIVS',
      'AF_VSOCK',
      'SIGCHLD',
    ]) {
      expect(theirs.has(name), name).toBe(true);
    }
  });
});
