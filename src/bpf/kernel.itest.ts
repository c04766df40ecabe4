/**
 * Differential tests against the running kernel (gVisor's TestRealDeal idea): a small C helper
 * loads programs with seccomp(2) and runs a syscall under them. Runs when gcc and seccomp are
 * available; under CI=true a missing tool fails the test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { programArb } from './arbitrary.test.js';
import { executeWords, seccompDataWords } from './emulate.js';
import { encodeProgram, stmt, type Instruction } from './instruction.js';
import { checkProgram } from './validate.js';

const HELPER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <signal.h>
#include <sched.h>
#include <unistd.h>

/* Records on stdin: u32 mode, u32 len, len*8 bytes of sock_filter, then for mode 2: i64 nr, 6 x u64 args.
   Mode 1 prints "0" when seccomp(2) accepts the filter, else the errno. Mode 2 prints
   "<ret> <errno>" of syscall(nr, args...) under the filter. */
static int readn(void *p, size_t n) { return fread(p, 1, n, stdin) == n; }

int main(void) {
  uint32_t mode, len;
  while (readn(&mode, 4) && readn(&len, 4)) {
    struct sock_filter *f = malloc(len * 8 + 8);
    if (len && !readn(f, len * 8)) return 2;
    int64_t nr = 0; uint64_t args[6] = {0};
    if (mode == 2 && (!readn(&nr, 8) || !readn(args, sizeof args))) return 2;
    volatile long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) return 3;
    shared[0] = shared[1] = 0; shared[2] = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      /* After the filter is in place every syscall may be refused, so results go through shared
         memory and the parent kills the child. */
      struct sock_fprog prog = { .len = (unsigned short)len, .filter = f };
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
      if (r != 0) { shared[0] = -1; shared[1] = errno; }
      else if (mode == 2) {
        errno = 0;
        shared[0] = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        shared[1] = errno;
      }
      __atomic_store_n(&shared[2], 1, __ATOMIC_SEQ_CST);
      for (;;) syscall(SYS_exit_group, 0);
    }
    int st = 0, died = 0;
    while (!__atomic_load_n(&shared[2], __ATOMIC_SEQ_CST)) {
      if (waitpid(pid, &st, WNOHANG) == pid) { died = 1; break; }
      sched_yield();
    }
    if (!died) { kill(pid, SIGKILL); waitpid(pid, &st, 0); }
    if (died && !shared[2]) printf("died %d\n", st);
    else if (mode == 1) printf("%ld\n", shared[0] == 0 ? 0L : shared[1]);
    else printf("%ld %ld\n", shared[0], shared[1]);
    munmap((void *)shared, 4096);
    free(f);
  }
  return 0;
}
`;

const haveGcc = spawnSync('gcc', ['--version']).status === 0;
const enabled = haveGcc || process.env.CI === 'true';
let helper = '';

function runHelper(records: Buffer[]): string[] {
  const outText = execFileSync(helper, {
    input: Buffer.concat(records),
    maxBuffer: 1 << 26,
  }).toString();
  return outText.trim().split('\n');
}

function record(
  mode: number,
  prog: readonly Instruction[],
  nr = 0,
  args: readonly bigint[] = [],
): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(mode, 0);
  head.writeUInt32LE(prog.length, 4);
  const parts = [head, Buffer.from(encodeProgram(prog, 'host'))];
  if (mode === 2) {
    const tail = Buffer.alloc(56);
    tail.writeBigInt64LE(BigInt(nr), 0);
    args.forEach((a, i) => tail.writeBigUInt64LE(BigInt.asUintN(64, a), 8 + 8 * i));
    parts.push(tail);
  }
  return Buffer.concat(parts);
}

describe.runIf(enabled && process.platform === 'linux')('against the running kernel', () => {
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-bpf-'));
    writeFileSync(join(dir, 'probe.c'), HELPER_C);
    helper = join(dir, 'probe');
    execFileSync('gcc', ['-O2', '-o', helper, join(dir, 'probe.c')]);
  });

  test('validate accepts exactly what seccomp(2) accepts', () => {
    // Valid programs, and mutations of them that break one field.
    const mutated = programArb({ retA: true, divX: true, ipLoads: true }).chain((prog) =>
      fc
        .tuple(fc.nat(prog.length - 1), fc.nat(3), fc.integer({ min: 0, max: 0xffff }))
        .map(([pc, field, small]) => {
          const p = prog.slice();
          const insn = p[pc] ?? stmt(0x06);
          p[pc] =
            field === 0
              ? { ...insn, code: small & 0xff }
              : field === 1
                ? { ...insn, jt: small & 0xff, jf: (small >> 8) & 0xff }
                : field === 2
                  ? { ...insn, k: small & 0x7f }
                  : insn;
          if (field === 3) p.splice(pc, 1);
          return p;
        }),
    );
    const progs = fc.sample(
      fc.oneof(programArb({ retA: true, divX: true, ipLoads: true }), mutated),
      { numRuns: 1500, seed: 42 },
    );
    progs.push(
      [],
      [stmt(0x20, 2), stmt(0x06)],
      [stmt(0x94, 3), stmt(0x06)],
      [stmt(0x28, 0), stmt(0x06)],
    );
    progs.push(
      Array.from({ length: 4097 }, () => stmt(0x06)),
      Array.from({ length: 4096 }, () => stmt(0x06)),
    );
    const got = runHelper(progs.map((p) => record(1, p)));
    let rejected = 0;
    progs.forEach((p, i) => {
      const ours = checkProgram(p);
      const kernel = got[i];
      if (ours !== undefined) rejected++;
      expect({
        i,
        kernel: kernel === '0' ? 'accepted' : `errno ${kernel}`,
        code: ours?.code,
      }).toEqual({
        i,
        kernel: ours === undefined ? 'accepted' : 'errno 22',
        code: ours?.code,
      });
    });
    expect(rejected).toBeGreaterThan(100);
  });

  test('emulate returns what the kernel returns', () => {
    // Each program is wrapped: other syscalls are allowed, and every return becomes ERRNO of its low
    // 12 bits (RET A through a shared epilogue), so the kernel's answer is visible as errno.
    const AUDIT_ARCH_X86_64 = 0xc000003e;
    if (process.arch !== 'x64') return;
    const cases = fc.sample(
      fc.tuple(
        programArb({ retA: true, divX: false, ipLoads: false, maxLength: 60 }),
        fc.integer({ min: 1000, max: 0x3fffffff }),
        fc.array(
          fc.oneof(
            fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
            fc.constantFrom(0n, 1n, 0x3bn, 0xffffffffn, 1n << 32n),
          ),
          {
            minLength: 6,
            maxLength: 6,
          },
        ),
      ),
      { numRuns: 1500, seed: 7 },
    );
    const wrapped = cases.map(([prog, nr]) => {
      const body = prog.map((insn, pc) => {
        if (insn.code === 0x06) return stmt(0x06, 0x50000 | (insn.k & 0xfff));
        if (insn.code === 0x16) return stmt(0x05, prog.length - pc - 1);
        return insn;
      });
      return [
        stmt(0x20, 0),
        { code: 0x15, jt: 1, jf: 0, k: nr },
        stmt(0x06, 0x7fff0000),
        stmt(0x00, 0), // A = 0 again: the kernel starts every filter with A = X = 0
        ...body,
        stmt(0x54, 0xfff),
        stmt(0x44, 0x50000),
        stmt(0x16),
      ];
    });
    const got = runHelper(cases.map(([, nr, args], i) => record(2, wrapped[i] ?? [], nr, args)));
    cases.forEach(([prog, nr, args], i) => {
      const words = seccompDataWords(
        {
          nr,
          arch: AUDIT_ARCH_X86_64,
          instructionPointer: 0n,
          args: args as [bigint, bigint, bigint, bigint, bigint, bigint],
        },
        'little',
      );
      const want = executeWords(prog, words).ret & 0xfff;
      const [ret, errno] = (got[i] ?? '').split(' ').map(Number);
      const kernel = ret === 0 ? 0 : errno;
      expect({ i, kernel }).toEqual({ i, kernel: want });
    });
  });
});

test('the kernel tests ran where they must', () => {
  if (process.env.CI === 'true') expect(haveGcc).toBe(true);
});
