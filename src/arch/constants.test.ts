import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../document/errors.js';
import {
  CAP_LAST_CAP,
  CAPABILITIES,
  capName,
  capNumber,
  constantName,
  constantValue,
  errnoName,
  errnoNumber,
  formatFlags,
  parseArgValue,
} from './constants.js';

describe('parseArgValue', () => {
  const cases: [string, bigint][] = [
    ['0', 0n],
    ['42', 42n],
    ['0x7E020000', 0x7e020000n],
    ['0XfF', 0xffn],
    ['0o755', 0o755n],
    ['0755', 0o755n],
    ['0b101', 5n],
    ['-1', 0xffffffffffffffffn],
    ['-100', 0xffffffffffffff9cn],
    ['18446744073709551615', 0xffffffffffffffffn],
    ['4294967295', 0xffffffffn],
    ['AF_VSOCK', 40n],
    ['AF_ALG', 38n],
    ['CLONE_NEWUSER|SIGCHLD', 0x10000011n],
    ['CLONE_NEWNS | CLONE_NEWPID | 0x11', 0x20020011n],
    ['SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC', 0x80801n],
    ['O_RDWR|O_CLOEXEC', 0o2000002n],
    ['PER_LINUX32|UNAME26', 0x20008n],
    ['PER_QUERY', 0xffffffffn],
    ['ADDR_NO_RANDOMIZE', 0x40000n],
    ['PR_SET_NO_NEW_PRIVS', 38n],
    ['TIOCSTI', 0x5412n],
    ['TIOCGWINSZ', 0x5413n],
    ['FIONREAD', 0x541bn],
    ['FIONBIO', 0x5421n],
    ['AT_FDCWD', 0xffffffffffffff9cn],
    ['CAP_SYS_ADMIN', 21n],
    ['EPERM', 1n],
    ['CLONE_INTO_CGROUP', 0x200000000n],
    ['PROT_READ|PROT_WRITE|PROT_EXEC', 7n],
    ['MAP_PRIVATE|MAP_ANONYMOUS', 0x22n],
  ];
  it.each(cases)('%s = %s', (text, want) => {
    expect(parseArgValue(text)).toBe(want);
  });

  it('uses the arch numbering where it differs', () => {
    expect(parseArgValue('SIGCHLD', 'mips')).toBe(18n);
    expect(parseArgValue('SIGCHLD', 'parisc64')).toBe(18n);
    expect(parseArgValue('SIGCHLD', 'aarch64')).toBe(17n);
    expect(parseArgValue('SOCK_STREAM', 'mipsel64')).toBe(2n);
    expect(parseArgValue('SOCK_NONBLOCK', 'mips')).toBe(0x80n);
    expect(parseArgValue('ENOSYS', 'mips')).toBe(89n);
    expect(parseArgValue('ENOSYS', 'parisc')).toBe(251n);
  });

  it.each([
    ['', /empty/],
    ['A|', /empty term/],
    ['AF_VSCOK', /unknown constant 'AF_VSCOK' \(did you mean AF_VSOCK\?\)/],
    ['clone_newuser', /did you mean CLONE_NEWUSER/],
    ['0x1ffffffffffffffff', /64 bits/],
    ['-18446744073709551615', /below -2\^63/],
    ['12abc', /unknown constant/],
    ['NOTHING_LIKE_IT_AT_ALL', /^unknown constant 'NOTHING_LIKE_IT_AT_ALL'$/],
  ])('rejects %j', (text, re) => {
    expect(() => parseArgValue(text)).toThrow(UsageError);
    expect(() => parseArgValue(text)).toThrow(re);
  });

  it('round-trips every 64-bit number in decimal, hex, octal and negative form', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        expect(parseArgValue(n.toString())).toBe(n);
        expect(parseArgValue(`0x${n.toString(16)}`)).toBe(n);
        expect(parseArgValue(`0o${n.toString(8)}`)).toBe(n);
        const signed = BigInt.asIntN(64, n);
        expect(parseArgValue(signed.toString())).toBe(n);
      }),
    );
  });

  it('ORs any set of flags like the C expression would', () => {
    const flags = [
      'CLONE_NEWNS',
      'CLONE_NEWUTS',
      'CLONE_NEWIPC',
      'CLONE_NEWUSER',
      'CLONE_NEWPID',
      'CLONE_NEWNET',
    ];
    fc.assert(
      fc.property(fc.subarray(flags, { minLength: 1 }), (picked) => {
        const want = picked.reduce((acc, f) => acc | (constantValue(f) ?? 0n), 0n);
        expect(parseArgValue(picked.join('|'))).toBe(want);
        expect(parseArgValue(formatFlags('clone', want))).toBe(want);
      }),
    );
  });
});

describe('formatFlags / constantName', () => {
  it('renders flags and leftover bits', () => {
    expect(formatFlags('clone', 0x7e020000n)).toBe(
      'CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET',
    );
    expect(formatFlags('clone', 0x10000011n)).toBe('CLONE_NEWUSER|0x11');
    expect(formatFlags('prot', 0n)).toBe('0x0');
    expect(constantName('af', 40n)).toBe('AF_VSOCK');
    expect(constantName('personality', 0xffffffffn)).toBe('PER_QUERY');
    expect(constantName('signal', 18n, 'mips')).toBe('SIGCHLD');
    expect(constantName('af', 999n)).toBeUndefined();
  });
});

describe('capabilities', () => {
  it('numbers CAP_CHOWN=0 .. CAP_CHECKPOINT_RESTORE=40 without gaps', () => {
    const values = Object.values(CAPABILITIES).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: CAP_LAST_CAP + 1 }, (_, i) => i));
    expect(capNumber('CAP_CHOWN')).toBe(0);
    expect(capNumber('sys_admin')).toBe(21);
    expect(capNumber('CAP_CHECKPOINT_RESTORE')).toBe(40);
    expect(capNumber('CAP_NOPE')).toBeUndefined();
    expect(capName(38)).toBe('CAP_PERFMON');
    expect(capName(41)).toBeUndefined();
  });
});

describe('errno', () => {
  it.each([
    ['EPERM', undefined, 1],
    ['EACCES', undefined, 13],
    ['ENOSYS', undefined, 38],
    ['ENOSYS', 'x86_64', 38],
    ['ENOSYS', 'mips64', 89],
    ['ENOSYS', 'parisc', 251],
    ['EPERM', 'mips', 1],
    ['EAGAIN', 'parisc', 11],
    ['ECONNREFUSED', 'mips', 146],
    ['ECONNREFUSED', 'parisc', 239],
    ['EDQUOT', 'mips', 1133],
  ] as const)('%s on %s = %d', (name, arch, n) => {
    expect(errnoNumber(name, arch)).toBe(n);
  });

  it('names numbers with the primary name', () => {
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(35)).toBe('EDEADLK');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(89, 'mips')).toBe('ENOSYS');
    expect(errnoName(5000)).toBeUndefined();
    expect(errnoNumber('toString')).toBeUndefined();
  });

  it('round-trips every name on every numbering', () => {
    for (const arch of [undefined, 'mips', 'parisc'] as const) {
      for (let n = 1; n < 1200; n++) {
        const name = errnoName(n, arch);
        if (name !== undefined) expect(errnoNumber(name, arch)).toBe(n);
      }
    }
  });
});
