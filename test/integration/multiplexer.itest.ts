/**
 * Real-kernel proof that generated profiles hold "socket only for the families seen" on every ABI:
 * a program enters the kernel through `int $0x80` (the i386 ABI) and asks for an AF_INET socket both
 * through socketcall(SYS_SOCKET) and through the direct socket syscall, under `bwrap --seccomp` with
 * the filter sysgate compiles for the generated profile. The emulator must say the same. Runs under
 * CI=true (failing if bwrap or gcc is missing) and wherever both are installed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { emulate } from '../../src/bpf/emulate.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { actionKind, seccompArgs } from '../../src/bpf/seccomp.js';
import { compileProfile } from '../../src/compile/compile.js';
import { multiplexerBypassIssues } from '../../src/compile/multiplexer-check.js';
import type { Profile } from '../../src/profile/types.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import { runBwrap } from '../../src/run/engines/bwrap.js';
import { Observation } from '../../src/trace/observe.js';
import { parseStrace } from '../../src/trace/strace.js';
import { hasTool } from '../oracle/kernel.js';
import { toEvidence } from '../../src/generate/evidence.js';
import { generateProfile } from '../../src/generate/generate.js';
import { resolveSymbol } from '../../src/generate/symbols.js';

const enabled = process.env.CI === 'true' || (hasTool('bwrap') && hasTool('gcc'));

/**
 * `sock32 mux|direct FAMILY`: socket(FAMILY, SOCK_STREAM, 0) through int $0x80, either as
 * socketcall(SYS_SOCKET, {FAMILY, 1, 0}) (eax=102, ebx=1, ecx=pointer below 4 GiB) or as the direct
 * i386 socket (eax=359). Prints "ok FD" or "err ERRNO"; a seccomp kill ends it without output.
 */
const SOCK32_C = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("push %%rbx\n\tmov %2, %%rbx\n\tint $0x80\n\tpop %%rbx"
                   : "=a"(ret) : "0"(nr), "r"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long family = strtol(argv[2], 0, 0);
  unsigned int *args = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  if (args == MAP_FAILED) return 3;
  args[0] = (unsigned int)family; args[1] = 1; args[2] = 0;
  long r = strcmp(argv[1], "mux") == 0 ? int80(102, 1, (long)args, 0) : int80(359, family, 1, 0);
  if (r < 0 && r > -4096) printf("err %ld\n", -r); else printf("ok %ld\n", r);
  fflush(stdout);
  return 0;
}
`;

const TRACES = resolve(import.meta.dirname, '../fixtures/corpus/traces');

/** node-f.strace: an x86_64-only workload whose only socket family is AF_UNIX. */
function nodeEvidence() {
  const o = new Observation('x86_64', resolveSymbol);
  const text = readFileSync(join(TRACES, 'node-f.strace'), 'utf8');
  for (const e of parseStrace(text).events) if (e.kind === 'call') o.addCall(e, 'node-f.strace');
  return toEvidence(o, { sources: ['node-f.strace'] });
}

const HOST = {
  arch: 'x86_64' as const,
  caps: DOCKER_DEFAULT_CAPABILITIES,
  kernel: { major: 6, minor: 1 },
};

function compiled(p: Profile) {
  const resolved = resolveProfile(p, HOST);
  if (resolved === null) throw new Error('no seccomp');
  return compileProfile(resolved, { arch: 'x86_64', stats: false });
}

const AUDIT_ARCH_I386 = 0x40000003;
const AF_INET = 2;
const AF_UNIX = 1;

/** What the emulator says the i386 call does: "ok" (runs), "err N" or "killed". */
function emulated(p: Profile, how: 'mux' | 'direct', family: number): string {
  const data = {
    arch: AUDIT_ARCH_I386,
    nr: how === 'mux' ? 102 : 359,
    instructionPointer: 0n,
    args: seccompArgs(how === 'mux' ? [1n, 0x10000n] : [BigInt(family), 1n, 0n]),
  };
  const ret = emulate(compiled(p).program, data, 'host').ret;
  const kind = actionKind(ret);
  if (kind === 'allow') return 'ok';
  if (kind === 'errno') return `err ${ret & 0xffff}`;
  return 'killed';
}

let dir = '';
let sock32 = '';

/** What the kernel does with the i386 call under the profile's filter, loaded by bwrap. */
async function kernel(p: Profile, how: 'mux' | 'direct', family: number): Promise<string> {
  const r = await runBwrap({
    argv: [sock32, how, String(family)],
    filter: encodeProgram(compiled(p).program, 'host'),
    binds: [{ source: dir }],
    timeoutMs: 20_000,
  });
  const out = r.stdout.trim();
  if (out.startsWith('ok ')) return 'ok';
  if (out.startsWith('err ')) return out;
  // bwrap (pid 1 of the sandbox) reports a child killed by SIGSYS (31) as exit status 128 + 31.
  return r.exitCode === 128 + 31 ? 'killed' : `unexpected: exit ${String(r.exitCode)} ${r.stderr}`;
}

describe.runIf(enabled)('generated profiles hold socket families on the i386 ABI (kernel)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sysgate-sock32-'));
    writeFileSync(join(dir, 'sock32.c'), SOCK32_C);
    sock32 = join(dir, 'sock32');
    execFileSync('gcc', ['-O2', '-static', '-o', sock32, join(dir, 'sock32.c')]);
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const ev = nodeEvidence();

  test('unconfined, the program really gets an AF_INET socket both ways', async () => {
    const r1 = await runBwrap({ argv: [sock32, 'mux', String(AF_INET)], binds: [{ source: dir }] });
    const r2 = await runBwrap({
      argv: [sock32, 'direct', String(AF_INET)],
      binds: [{ source: dir }],
    });
    expect(r1.stdout).toMatch(/^ok \d+/);
    expect(r2.stdout).toMatch(/^ok \d+/);
  });

  test('default: the i386 ABI is not in the profile, int $0x80 is killed', async () => {
    const p = generateProfile(ev);
    expect(p.architectures).toEqual(['SCMP_ARCH_X86_64']);
    for (const how of ['mux', 'direct'] as const) {
      expect(emulated(p, how, AF_INET)).toBe('killed');
      expect(await kernel(p, how, AF_INET)).toBe('killed');
    }
    expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
  });

  test('--all-abis: socketcall refused, the direct i386 socket keeps the family filter', async () => {
    const p = generateProfile(ev, { allAbis: true });
    expect(p.architectures).toContain('SCMP_ARCH_X86');
    const cases = [
      ['mux', AF_INET, 'err 38'],
      ['direct', AF_INET, 'err 1'],
      ['direct', AF_UNIX, 'ok'],
    ] as const;
    for (const [how, family, want] of cases) {
      expect(emulated(p, how, family), `${how} ${family}`).toBe(want);
      expect(await kernel(p, how, family), `${how} ${family}`).toBe(want);
    }
    expect(multiplexerBypassIssues(p, HOST)).toEqual([]);
  });

  test('without the guard the leak is real, and the check names it', async () => {
    const full = generateProfile(ev, { allAbis: true });
    const p: Profile = {
      ...full,
      syscalls: full.syscalls.filter((r) => !r.names.includes('socketcall')),
    };
    expect(emulated(p, 'mux', AF_INET)).toBe('ok');
    expect(await kernel(p, 'mux', AF_INET)).toBe('ok');
    const issues = multiplexerBypassIssues(p, HOST);
    expect(issues.map((i) => [i.code, i.severity])).toEqual([['multiplexer-bypass', 'warning']]);
    const socketRule = p.syscalls.find((r) => r.names.includes('socket') && r.args.length > 0);
    expect(issues[0]?.pointer).toBe(socketRule?.pointer);
  });
});
