import { describe, expect, test } from 'vitest';
import { formatOutcome, type ProbeOutcome } from './probe-format.js';
import { mayShareProcess, predictOutcome, probeReturn, stackedReturn } from './predict.js';
import { syscallName, syscallNumber } from '../arch/syscalls.js';
import type { Instruction } from '../bpf/instruction.js';
import { STATE_FREE_SYSCALLS } from '../kb/state-free.js';

const ran: ProbeOutcome = { kind: 'errno', errno: 14 };

describe('predictOutcome', () => {
  test.each([
    { ret: 0x7fff0000, want: 'errno 14', why: 'ALLOW runs the call' },
    { ret: 0x7ffc0000, want: 'errno 14', why: 'LOG runs the call' },
    { ret: 0x00050001, want: 'errno 1', why: 'ERRNO(EPERM)' },
    { ret: 0x00050000, want: 'ok 0', why: 'ERRNO(0) fakes success' },
    { ret: 0x0005ffff, want: 'errno 4095', why: 'ERRNO data capped at MAX_ERRNO' },
    { ret: 0x00030007, want: 'trap 7', why: 'TRAP carries its data' },
    { ret: 0x7ff00000, want: 'errno 38', why: 'TRACE without tracer' },
    { ret: 0x7fc00000, want: 'errno 38', why: 'USER_NOTIF without listener' },
    { ret: 0x00000000, want: 'signal 31', why: 'KILL_THREAD' },
    { ret: 0x80000000, want: 'signal 31', why: 'KILL_PROCESS' },
    { ret: 0x12340000, want: 'signal 31', why: 'unknown action acts as KILL_PROCESS' },
  ])('$why', ({ ret, want }) => {
    expect(formatOutcome(predictOutcome(ret, ran))).toBe(want);
  });
});

describe('stackedReturn', () => {
  test.each([
    { rets: [0x7fff0000, 0x00050001], want: 0x00050001, why: 'ERRNO beats ALLOW' },
    { rets: [0x00050001, 0x00030000], want: 0x00030000, why: 'TRAP beats ERRNO' },
    { rets: [0x00000000, 0x80000000], want: 0x80000000, why: 'KILL_PROCESS beats KILL_THREAD' },
    {
      rets: [0x00050002, 0x00050001],
      want: 0x00050002,
      why: 'tie: the newest (first) keeps its data',
    },
    { rets: [0x7fff0000], want: 0x7fff0000, why: 'one filter' },
  ])('$why', ({ rets, want }) => {
    expect(stackedReturn(rets)).toBe(want);
  });
});

describe('mayShareProcess: which probes the prober may batch', () => {
  const nr = (name: string, arch: 'x86_64' | 'x86' = 'x86_64'): number =>
    syscallNumber(arch, name) ?? -1;
  test.each([
    {
      ret: 0x00050001,
      name: 'exit_group',
      want: true,
      why: 'ERRNO: the kernel never runs the call',
    },
    { ret: 0x00050000, name: 'execve', want: true, why: 'ERRNO(0): not run either' },
    { ret: 0x7fff0000, name: 'getpid', want: true, why: 'ALLOW of a state-free call' },
    { ret: 0x7ffc0000, name: 'sched_yield', want: true, why: 'LOG of a state-free call' },
    { ret: 0x7fff0000, name: 'umask', want: false, why: 'ALLOW of a call that sets the mask' },
    { ret: 0x7fff0000, name: 'close', want: false, why: 'ALLOW of close (could close own fds)' },
    { ret: 0x7fff0000, name: 'socket', want: false, why: 'ALLOW of a call that makes an fd' },
    { ret: 0x7fff0000, name: 'munmap', want: false, why: 'ALLOW of a memory call' },
    { ret: 0x7fff0000, name: 'setuid', want: false, why: 'ALLOW of the setuid family' },
    { ret: 0x7fff0000, name: 'exit_group', want: false, why: 'ALLOW of exit_group' },
    { ret: 0x00030007, name: 'getpid', want: false, why: 'TRAP' },
    { ret: 0x7ff00000, name: 'getpid', want: false, why: 'TRACE (a tracer could do anything)' },
    { ret: 0x7fc00000, name: 'getpid', want: false, why: 'USER_NOTIF' },
    { ret: 0x00000000, name: 'getpid', want: false, why: 'KILL_THREAD' },
    { ret: 0x80000000, name: 'getpid', want: false, why: 'KILL_PROCESS' },
    { ret: 0x12340000, name: 'getpid', want: false, why: 'an unknown action (KILL_PROCESS)' },
  ])('$why', ({ ret, name, want }) => {
    expect(mayShareProcess(ret, { nr: nr(name) }, 'x86_64')).toBe(want);
  });

  test('the name is looked up in the ABI the probe enters', () => {
    // i386 getuid32 is state-free; its number on x86_64 is another call.
    const probe = { nr: nr('getuid32', 'x86'), abi: 'i386' as const };
    expect(mayShareProcess(0x7fff0000, probe, 'x86_64')).toBe(true);
    expect(mayShareProcess(0x7fff0000, { nr: probe.nr }, 'x86_64')).toBe(
      STATE_FREE_SYSCALLS.has(syscallName('x86_64', probe.nr) ?? ''),
    );
  });
});

describe('probeReturn', () => {
  test('no filter allows; stacked filters keep the most restrictive action', () => {
    const ret = (k: number): Instruction[] => [{ code: 0x06, jt: 0, jf: 0, k }];
    const probe = { nr: 39 };
    expect(probeReturn([], probe, 'x86_64')).toBe(0x7fff0000);
    expect(probeReturn([ret(0x7fff0000), ret(0x00050001)], probe, 'x86_64')).toBe(0x00050001);
    expect(probeReturn([ret(0x00050001), ret(0x80000000)], probe, 'x86_64')).toBe(0x80000000);
  });
});
