import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import type { ProbeOutcome } from '../run/probe-format.js';
import {
  clientErrors,
  commandArgv,
  httpLoad,
  probeMatches,
  resolveProbe,
  sameDecision,
} from './suite-run.js';
import type { ProbeExpectation } from './suite.js';

const ok = (value: bigint): ProbeOutcome => ({ kind: 'ok', value });
const errno = (e: number): ProbeOutcome => ({ kind: 'errno', errno: e });
const killed: ProbeOutcome = { kind: 'signal', signal: 31 };

describe('probeMatches', () => {
  const allowed: ProbeExpectation = { kind: 'allowed' };
  const eperm: ProbeExpectation = { kind: 'errno', errno: 1, name: 'EPERM' };
  test.each([
    ['allowed: same fd as unconfined', allowed, ok(3n), ok(3n), true],
    ['allowed: another pid is still success', allowed, ok(12n), ok(9n), true],
    ['allowed: EPERM where unconfined succeeds', allowed, errno(1), ok(3n), false],
    ['allowed: same kernel errno as unconfined', allowed, errno(14), errno(14), true],
    ['errno EPERM: EPERM', eperm, errno(1), ok(3n), true],
    ['errno EPERM: ENOSYS', eperm, errno(38), ok(3n), false],
    ['errno EPERM: success', eperm, ok(3n), ok(3n), false],
    ['killed: SIGSYS', { kind: 'killed' } as const, killed, ok(0n), true],
    [
      'killed: SIGSEGV',
      { kind: 'killed' } as const,
      { kind: 'signal', signal: 11 } as const,
      ok(0n),
      false,
    ],
    ['trapped', { kind: 'trapped' } as const, { kind: 'trap', data: 5 } as const, ok(0n), true],
  ])('%s', (_n, e, o, b, want) => {
    expect(probeMatches(e, o, b)).toBe(want);
  });

  test('sameDecision tells errnos apart', () => {
    expect(sameDecision(errno(1), errno(13))).toBe(false);
    expect(sameDecision(killed, killed)).toBe(true);
  });
});

describe('resolveProbe', () => {
  test('symbolic arguments and syscall names on x86_64', () => {
    // socket is 41 on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl); AF_INET 2, SOCK_STREAM 1.
    expect(
      resolveProbe(
        {
          name: 'p',
          syscall: 'socket',
          args: ['AF_INET', 'SOCK_STREAM|SOCK_CLOEXEC', '0'],
          expect: { kind: 'allowed' },
          pointer: '/probes/0',
        },
        'x86_64',
      ),
    ).toEqual({
      nr: 41,
      args: [2n, 0o2000001n, 0n],
    });
    expect(
      resolveProbe(
        {
          name: 'p',
          syscall: 'unshare',
          args: ['CLONE_NEWUSER|SIGCHLD'],
          expect: { kind: 'allowed' },
          pointer: '',
        },
        'x86_64',
      ),
    ).toEqual({
      nr: 272,
      args: [0x10000011n],
    });
  });
  test('abi: the syscall and its arguments in that ABI, entered the way the prober can', () => {
    const probe = (syscall: string, abi: 'x86' | 'x32' | 'x86_64', args: string[] = []) =>
      resolveProbe(
        { name: 'p', syscall, args, abi, expect: { kind: 'allowed' }, pointer: '/probes/2' },
        'x86_64',
      );
    // i386: socket 359, socketcall 102 (arch/x86/entry/syscalls/syscall_32.tbl); x32: 41 | bit 30.
    expect(probe('socket', 'x86', ['AF_INET', 'SOCK_STREAM', '0'])).toEqual({
      nr: 359,
      args: [2n, 1n, 0n],
      abi: 'i386',
    });
    expect(probe('socketcall', 'x86', ['1', '0'])).toEqual({
      nr: 102,
      args: [1n, 0n],
      abi: 'i386',
    });
    expect(probe('socket', 'x32')).toEqual({ nr: 0x40000029, args: [], abi: 'x32' });
    expect(probe('socket', 'x86_64')).toEqual({ nr: 41, args: [] });
  });

  test('an ABI the prober cannot enter on this host is a usage error at the abi key', () => {
    expect(() =>
      resolveProbe(
        {
          name: 'p',
          syscall: 'socket',
          args: [],
          abi: 'x86',
          expect: { kind: 'allowed' },
          pointer: '/probes/4',
        },
        'aarch64',
      ),
    ).toThrow(/probes\/4\/abi/);
  });

  test('unknown names are usage errors that point into the suite', () => {
    expect(() =>
      resolveProbe(
        {
          name: 'p',
          syscall: 'nosuchcall',
          args: [],
          expect: { kind: 'allowed' },
          pointer: '/probes/3',
        },
        'x86_64',
      ),
    ).toThrow(/probes\/3\/syscall/);
    expect(() =>
      resolveProbe(
        {
          name: 'p',
          syscall: 'socket',
          args: ['AF_NOPE'],
          expect: { kind: 'allowed' },
          pointer: '/probes/1',
        },
        'x86_64',
      ),
    ).toThrow(UsageError);
  });
});

test('commandArgv: strings go through sh -c', () => {
  expect(commandArgv('echo hi')).toEqual(['sh', '-c', 'echo hi']);
  expect(commandArgv(['/bin/true', 'x'])).toEqual(['/bin/true', 'x']);
});

describe('load', () => {
  test.each([
    [
      'ab report without failures',
      'Complete requests:      100\nFailed requests:        0\n',
      0,
      0,
    ],
    [
      'ab report with failures and non-2xx',
      'Failed requests:        3\nNon-2xx responses:      2\n',
      0,
      5,
    ],
    ['other client, success', 'done', 0, 0],
    ['other client, failure', 'boom', 1, 1],
  ])('clientErrors: %s', (_n, stdout, code, want) => {
    expect(clientErrors(stdout, code)).toBe(want);
  });

  test('httpLoad counts every non-2xx answer and respects the request bound', async () => {
    let served = 0;
    const server = createServer((req, res) => {
      served++;
      res.statusCode = served % 10 === 0 ? 500 : 200;
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const s = await httpLoad(`http://127.0.0.1:${port}/`, 200, 8);
      expect(served).toBe(200);
      expect(s.requests).toBe(200);
      expect(s.errors).toBe(20);
    } finally {
      server.close();
    }
  });

  test('httpLoad refuses anything but loopback', async () => {
    await expect(httpLoad('http://example.com/', 1, 1)).rejects.toThrow(UsageError);
  });
});
