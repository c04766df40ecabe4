import { describe, expect, test } from 'vitest';
import { formatOutcome, type ProbeOutcome } from './probe-format.js';
import { predictOutcome, stackedReturn } from './predict.js';

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
