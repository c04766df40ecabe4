/**
 * Real-kernel oracle: a hand-assembled filter loaded with bubblewrap decides every probe the way we
 * expect by hand and the way the emulator says. Runs under CI=true (failing if bwrap is missing) and
 * wherever bwrap is installed.
 */
import { describe, expect, test, beforeAll } from 'vitest';
import { execute } from '../bpf/emulate.js';
import { decodeProgram } from '../bpf/instruction.js';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_TRAP,
} from '../bpf/seccomp.js';
import {
  ensureProber,
  hasTool,
  kernelBaseline,
  kernelDecide,
  kernelDisagreements,
  probeForData,
} from '../../test/oracle/kernel.js';
import { formatOutcome, type Probe, type ProbeOutcome } from './probe-format.js';
import { predictOutcome } from './predict.js';
import { runProbes } from './probe.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');

/** Tiny local assembler: one `struct sock_filter` per tuple, little-endian (x86_64 host). */
function assemble(
  insns: readonly (readonly [code: number, jt: number, jf: number, k: number])[],
): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const v = new DataView(buf.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    v.setUint16(8 * i, code, true);
    v.setUint8(8 * i + 2, jt);
    v.setUint8(8 * i + 3, jf);
    v.setUint32(8 * i + 4, k >>> 0, true);
  });
  return buf;
}

const LD_ABS = 0x20; // BPF_LD|BPF_W|BPF_ABS
const JEQ = 0x15; // BPF_JMP|BPF_JEQ|BPF_K
const JSET = 0x45; // BPF_JMP|BPF_JSET|BPF_K
const RET = 0x06; // BPF_RET|BPF_K
const AUDIT_ARCH_X86_64 = 0xc000003e;
const NR_MKDIRAT = 258;
const NR_CLOSE = 3;
const NR_GETPPID = 110;
const EPERM = 1;
const EACCES = 13;
const EFAULT = 14;
const EBADF = 9;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/**
 * x86_64 only (other arches: ERRNO(EAFNOSUPPORT)). mkdirat: mode (args[2]) == 0o700 as a full 64-bit
 * value -> ERRNO(EPERM); else mode bit 0x800 in the low word -> ERRNO(EACCES). getppid -> TRAP(5),
 * close with fd (low word) 0x7777 -> KILL_PROCESS. Everything else is allowed.
 */
const filter = assemble([
  /* 0 */ [LD_ABS, 0, 0, 4],
  /* 1 */ [JEQ, 1, 0, AUDIT_ARCH_X86_64],
  /* 2 */ [RET, 0, 0, SECCOMP_RET_ERRNO | EAFNOSUPPORT],
  /* 3 */ [LD_ABS, 0, 0, 0],
  /* 4 */ [JEQ, 0, 8, NR_MKDIRAT],
  /* 5 */ [LD_ABS, 0, 0, 16 + 8 * 2], // args[2] low
  /* 6 */ [JEQ, 0, 3, 0o700],
  /* 7 */ [LD_ABS, 0, 0, 16 + 8 * 2 + 4], // args[2] high
  /* 8 */ [JEQ, 0, 1, 0],
  /* 9 */ [RET, 0, 0, SECCOMP_RET_ERRNO | EPERM],
  /* 10 */ [LD_ABS, 0, 0, 16 + 8 * 2],
  /* 11 */ [JSET, 0, 6, 0x800],
  /* 12 */ [RET, 0, 0, SECCOMP_RET_ERRNO | EACCES],
  /* 13 */ [JEQ, 0, 1, NR_GETPPID],
  /* 14 */ [RET, 0, 0, SECCOMP_RET_TRAP | 5],
  /* 15 */ [JEQ, 0, 2, NR_CLOSE],
  /* 16 */ [LD_ABS, 0, 0, 16],
  /* 17 */ [JEQ, 1, 0, 0x7777],
  /* 18 */ [RET, 0, 0, SECCOMP_RET_ALLOW],
  /* 19 */ [RET, 0, 0, SECCOMP_RET_KILL_PROCESS],
]);

const mkdirat = (mode: bigint): Probe => ({ nr: NR_MKDIRAT, args: [0n, 0n, mode] });
const errno = (e: number): ProbeOutcome => ({ kind: 'errno', errno: e });

/** Probes with the outcome worked out by hand (NULL paths make every allowed mkdirat fail with EFAULT). */
const table: readonly { probe: Probe; expected: ProbeOutcome; why: string }[] = [
  { probe: mkdirat(0o700n), expected: errno(EPERM), why: 'mode 0700' },
  { probe: mkdirat(0x1_0000_01c0n), expected: errno(EFAULT), why: 'high word set: not 0700' },
  { probe: mkdirat(0o701n), expected: errno(EFAULT), why: 'mode 0701 allowed' },
  { probe: mkdirat(0x800n), expected: errno(EACCES), why: 'bit 0x800' },
  {
    probe: mkdirat(0xffff_ffff_0000_0800n),
    expected: errno(EACCES),
    why: 'bit 0x800, high word ignored',
  },
  { probe: mkdirat(0n), expected: errno(EFAULT), why: 'mode 0 allowed' },
  { probe: { nr: NR_GETPPID }, expected: { kind: 'trap', data: 5 }, why: 'getppid traps' },
  {
    probe: { nr: NR_CLOSE, args: [0x7777n] },
    expected: { kind: 'signal', signal: 31 },
    why: 'close(0x7777) kills',
  },
  {
    probe: { nr: NR_CLOSE, args: [0x1_0000_7777n] },
    expected: { kind: 'signal', signal: 31 },
    why: 'low word only',
  },
  {
    probe: { nr: NR_CLOSE, args: [0x7778n] },
    expected: errno(EBADF),
    why: 'close(bad fd) allowed',
  },
  {
    probe: { nr: 39, args: [0n, 0o700n], abi: 'i386' },
    expected: errno(EAFNOSUPPORT),
    why: 'i386 mkdir: arch check',
  },
  {
    probe: { nr: NR_MKDIRAT, args: [0n, 0n, 0o700n], abi: 'x32' },
    expected: errno(ENOSYS),
    why: 'x32 number != 258',
  },
];

describe.skipIf(!enabled)('bwrap + prober against the real kernel', () => {
  beforeAll(() => {
    ensureProber();
  });

  test.each([
    { loader: 'sandbox' as const, fork: true },
    { loader: 'sandbox' as const, fork: false },
    { loader: 'prober' as const, fork: true },
    { loader: 'prober' as const, fork: false },
  ])('hand-worked outcomes with loader $loader, fork $fork', async ({ loader, fork }) => {
    const got = await runProbes(
      'bwrap',
      filter,
      table.map((t) => t.probe),
      { loader, fork },
    );
    expect(got.map(formatOutcome)).toEqual(table.map((t) => formatOutcome(t.expected)));
  });

  test('the emulator agrees with the kernel on the hand-worked probes', async () => {
    const probes = table.map((t) => t.probe);
    const prog = decodeProgram(filter, 'little');
    const rets = probes.map((p) => {
      const nr = p.abi === 'x32' ? p.nr | 0x40000000 : p.nr;
      const arch = p.abi === 'i386' ? 0x40000003 : AUDIT_ARCH_X86_64;
      const args = [0, 1, 2, 3, 4, 5].map((i) => p.args?.[i] ?? 0n) as [
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
      ];
      const data = { nr, arch, instructionPointer: 0n, args };
      expect(probeForData(data)).toEqual({ ...p, nr, args, abi: p.abi ?? 'native' });
      return execute(prog, data, 'little').ret;
    });
    expect(await kernelDisagreements(filter, probes, rets)).toEqual([]);
  });

  test('random mkdirat modes: kernel = emulator', async () => {
    // Values around the filter's constants, in both halves (deterministic pseudo-random mix).
    const parts = [0n, 0o700n, 0o701n, 0x800n, 0x9c0n, 0xffffffffn, 0x1c0n | 0x800n];
    const probes: Probe[] = [];
    let seed = 12345;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const lo = parts[seed % parts.length] ?? 0n;
      const hi = parts[(seed >> 8) % parts.length] ?? 0n;
      probes.push(mkdirat((hi << 32n) | lo));
    }
    const prog = decodeProgram(filter, 'little');
    const [baseline, got] = await Promise.all([
      kernelBaseline(probes),
      kernelDecide(filter, probes),
    ]);
    const expected = probes.map((p, i) => {
      const args = [0, 1, 2, 3, 4, 5].map((j) => p.args?.[j] ?? 0n) as [
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
        bigint,
      ];
      const ret = execute(
        prog,
        { nr: p.nr, arch: AUDIT_ARCH_X86_64, instructionPointer: 0n, args },
        'little',
      ).ret;
      return formatOutcome(predictOutcome(ret, baseline[i] ?? errno(0)));
    });
    expect(got.map(formatOutcome)).toEqual(expected);
    expect(new Set(expected).size).toBe(3); // EPERM, EACCES and EFAULT all occur
  });

  test('stacked filters: the stronger action of the two wins', async () => {
    // The older filter must allow seccomp(2) itself, or the newer one could not be loaded.
    const older = assemble([
      [LD_ABS, 0, 0, 0],
      [JEQ, 1, 0, NR_CLOSE],
      [JEQ, 0, 1, NR_GETPPID],
      [RET, 0, 0, SECCOMP_RET_ERRNO | EPERM],
      [RET, 0, 0, SECCOMP_RET_ALLOW],
    ]);
    const probe = [{ nr: NR_CLOSE, args: [0x7778n] }, { nr: NR_GETPPID }];
    const got = await kernelDecide([older, filter], probe);
    // close(0x7778): ALLOW (filter) vs ERRNO(EPERM) -> EPERM; getppid: TRAP beats ERRNO.
    expect(got.map(formatOutcome)).toEqual(['errno 1', 'trap 5']);
  });

  test('a TRAP of the forked child exit after the probe does not hide the probe result', async () => {
    const NR_GETPID = 39;
    const trapExits = assemble([
      [LD_ABS, 0, 0, 0],
      [JEQ, 2, 0, 231], // exit_group
      [JEQ, 1, 0, 60], // exit
      [RET, 0, 0, SECCOMP_RET_ALLOW],
      [RET, 0, 0, SECCOMP_RET_TRAP],
    ]);
    const got = await runProbes('bwrap', trapExits, [{ nr: NR_GETPID }], {
      fork: true,
      loader: 'prober',
    });
    expect(got.map((o) => o.kind)).toEqual(['ok']);
  });
});
