import { describe, expect, test } from 'vitest';
import { RuntimeError } from '../document/errors.js';
import { parseFilterDump, parseProcStatus } from './inspect.js';

describe('parseProcStatus', () => {
  test.each([
    {
      text: 'Name:\tsleep\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n',
      want: { mode: 'filter', filters: 1, noNewPrivs: false, boundingCaps: undefined },
    },
    {
      // Docker's default bounding set: 14 capabilities.
      text: 'CapBnd:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n',
      want: {
        mode: 'filter',
        filters: 1,
        noNewPrivs: false,
        boundingCaps: [
          'CAP_CHOWN',
          'CAP_DAC_OVERRIDE',
          'CAP_FOWNER',
          'CAP_FSETID',
          'CAP_KILL',
          'CAP_SETGID',
          'CAP_SETUID',
          'CAP_SETPCAP',
          'CAP_NET_BIND_SERVICE',
          'CAP_NET_RAW',
          'CAP_SYS_CHROOT',
          'CAP_MKNOD',
          'CAP_AUDIT_WRITE',
          'CAP_SETFCAP',
        ],
      },
    },
    {
      text: 'NoNewPrivs:\t1\nSeccomp:\t0\nSeccomp_filters:\t0\n',
      want: { mode: 'disabled', filters: 0, noNewPrivs: true, boundingCaps: undefined },
    },
    {
      text: 'NoNewPrivs:\t0\nSeccomp:\t1\n',
      want: { mode: 'strict', filters: undefined, noNewPrivs: false, boundingCaps: undefined },
    },
  ])('$want.mode', ({ text, want }) => {
    expect(parseProcStatus(text)).toEqual(want);
  });

  test('a kernel without seccomp', () => {
    expect(() => parseProcStatus('Name:\tx\n')).toThrow(RuntimeError);
  });
});

describe('parseFilterDump', () => {
  test('filters in index order, hex decoded', () => {
    const out = parseFilterDump(
      'filter 0 1 0600000000007fff\nfilter 1 2 20000000040000000600000000000000\n',
    );
    expect(out.map((f) => Buffer.from(f).toString('hex'))).toEqual([
      '0600000000007fff',
      '20000000040000000600000000000000',
    ]);
  });

  test.each(['filter 1 1 0600000000007fff', 'filter 0 2 0600000000007fff', 'garbage'])(
    'refuses %j',
    (line) => {
      expect(() => parseFilterDump(line)).toThrow(RuntimeError);
    },
  );
});
