import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAuditLog } from './audit.js';
import { argTokenValue, commOf, Observation } from './observe.js';
import { parseStrace } from './strace.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');
const read = (f: string): string => readFileSync(join(TRACES, f), 'utf8');

function observe(file: string): Observation {
  const o = new Observation('x86_64');
  for (const e of parseStrace(read(file)).events) if (e.kind === 'call') o.addCall(e, file);
  return o;
}

describe('argTokenValue', () => {
  const sym: Record<string, bigint> = { AF_UNIX: 1n, SOCK_STREAM: 1n, SOCK_CLOEXEC: 0x80000n };
  test.each([
    ['0x1 /* AF_UNIX */', 1n],
    ['0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */', 0x80001n],
    ['0x24000000 /* CLONE_NEWUTS|CLONE_NEWPID */|17 /* SIGCHLD */', 0x24000011n],
    ['SOCK_STREAM|SOCK_CLOEXEC', 0x80001n],
    ['0', 0n],
    ['0644', 0o644n],
    ['-1', 0xffffffffffffffffn],
    ['NULL', 0n],
    ['UNKNOWN_THING', undefined],
    ['htons(0 /* ETH_P_??? */)', undefined],
  ])('%s', (token, want) => {
    expect(argTokenValue(token, (s) => sym[s])).toBe(want);
  });
});

describe('Observation', () => {
  test('socket families and types of the Python workload (-X verbose)', () => {
    const o = observe('python-X-verbose.strace');
    const socket = o.syscalls().find((s) => s.name === 'socket');
    expect(socket?.nr).toBe(41);
    expect(socket?.args.family?.values.map((v) => v.value).sort()).toEqual(['1', '2']);
    expect(socket?.args.family?.values.find((v) => v.value === '1')?.count).toBe(2);
    const pair = o.syscalls().find((s) => s.name === 'socketpair');
    expect(pair?.args.family?.values.map((v) => v.text)).toEqual(['0x1']);
  });

  test('errno outcomes, processes and first sighting', () => {
    const o = observe('python-f.strace');
    const access = o.syscalls().find((s) => s.name === 'access');
    expect(access?.errors.ENOENT).toBeGreaterThan(0);
    expect(access?.processes).toContain('python3');
    // No comm in this trace: the name the kernel derives from the executable, which stays in executables.
    expect(access?.executables).toContain('/usr/bin/python3');
    expect(o.syscalls().find((s) => s.name === 'execve')?.firstSeen).toEqual({
      source: 'python-f.strace',
      line: 1,
    });
  });

  test('32-bit personality calls land on the x86 table, named by number under -n', () => {
    const o = observe('personality-mixed64-n.strace');
    const x86 = o.syscalls().filter((s) => s.abi === 'x86');
    expect(x86.map((s) => s.name)).toContain('getpid');
    expect(x86.find((s) => s.name === 'getpid')?.nr).toBe(20);
  });

  test('unknown syscall numbers get their names from the table', () => {
    const o = observe('unknown-syscalls.strace');
    const names = o.syscalls().map((s) => s.name);
    expect(names).toContain('cachestat');
    expect(names).toContain('mseal');
  });

  test('audit records are named from their own arch and number', () => {
    const o = new Observation('x86_64');
    for (const r of parseAuditLog(read('seccomp/netlink-docker-arch.txt')).records)
      o.addAudit(r, 'a');
    const i386 = o.syscalls().filter((s) => s.abi === 'x86');
    // i386 syscall 4 is write (on x86_64, 4 would be stat).
    expect(i386.map((s) => s.name)).toContain('write');
  });
});

describe('commOf: the process name the kernel gives an executed path', () => {
  test.each([
    ['/usr/bin/python3', 'python3'],
    ['sh', 'sh'],
    ['./configure', 'configure'],
    ['/usr/lib/jvm/bin/java-wrapper-long-name', 'java-wrapper-lo'],
    ['/opt/app/', '/opt/app/'],
  ])('%s -> %s', (path, comm) => {
    expect(commOf(path)).toBe(comm);
  });
});
