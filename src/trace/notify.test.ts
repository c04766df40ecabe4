import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../arch/index.js';
import { LogParseError } from '../document/errors.js';
import { NOTIFY_MAGIC, NotifyDecoder, type NotifiedCall } from './notify.js';
import { Observation } from './observe.js';

const X86_64 = archInfo('x86_64').auditArch;
const X86 = archInfo('x86').auditArch;

/** Records as notifrec.c writes them (little-endian, this test's hosts). */
function header(magic = NOTIFY_MAGIC, version = 1): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(magic, 0);
  b.writeUInt32LE(version, 4);
  return b;
}
function call(tid: number, arch: number, nr: number, args: readonly bigint[] = []): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt16LE(1, 0);
  b.writeUInt16LE(64, 2);
  b.writeUInt32LE(tid, 4);
  b.writeUInt32LE(arch, 8);
  b.writeInt32LE(nr, 12);
  for (let i = 0; i < 6; i++) b.writeBigUInt64LE(args[i] ?? 0n, 16 + 8 * i);
  return b;
}
function task(tid: number, comm: string, exe: string): Buffer {
  const body = Buffer.concat([Buffer.from(comm), Buffer.from(exe)]);
  const size = (12 + body.length + 7) & ~7;
  const b = Buffer.alloc(size);
  b.writeUInt16LE(2, 0);
  b.writeUInt16LE(size, 2);
  b.writeUInt32LE(tid, 4);
  b.writeUInt16LE(Buffer.byteLength(comm), 8);
  b.writeUInt16LE(Buffer.byteLength(exe), 10);
  body.copy(b, 12);
  return b;
}

function decode(chunks: readonly Buffer[]): { calls: NotifiedCall[]; end: string | undefined } {
  const d = new NotifyDecoder('test');
  const calls: NotifiedCall[] = [];
  for (const c of chunks) d.push(c, (x) => calls.push(x));
  return { calls, end: d.finish() };
}

const STREAM = Buffer.concat([
  header(),
  call(7, X86_64, 59), // the command's execve: no task record before it
  task(7, 'sh', '/usr/bin/dash'),
  call(7, X86_64, 41, [1n, 0x80001n, 0n, 0xdeadn, 0n, 0xffffffffffffffffn]),
  task(8, 'sh', '/usr/bin/dash'),
  call(8, X86, 11),
]);

describe('NotifyDecoder', () => {
  test('calls carry the registers as u64, the sequence number and the task last written', () => {
    const { calls, end } = decode([STREAM]);
    expect(end).toBeUndefined();
    expect(calls).toEqual([
      { tid: 7, arch: X86_64, nr: 59, args: [0n, 0n, 0n, 0n, 0n, 0n], seq: 1 },
      {
        tid: 7,
        arch: X86_64,
        nr: 41,
        args: [1n, 0x80001n, 0n, 0xdeadn, 0n, 0xffffffffffffffffn],
        seq: 2,
        comm: 'sh',
        exe: '/usr/bin/dash',
      },
      {
        tid: 8,
        arch: X86,
        nr: 11,
        args: [0n, 0n, 0n, 0n, 0n, 0n],
        seq: 3,
        comm: 'sh',
        exe: '/usr/bin/dash',
      },
    ]);
  });

  test('any split of the stream into chunks decodes to the same calls', () => {
    const whole = decode([STREAM]).calls;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 })), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), STREAM.length];
        const chunks = at.slice(1).map((end, i) => STREAM.subarray(at[i], end));
        expect(decode(chunks)).toEqual({ calls: whole, end: undefined });
      }),
    );
  });

  test.each([
    ['an empty stream', [], 'the notifrec stream is empty (the recorder did not start)'],
    [
      'a stream cut inside a record',
      [STREAM.subarray(0, STREAM.length - 10)],
      'the notifrec stream ends inside a record (54 bytes left after call 2)',
    ],
  ])('finish warns about %s', (_name, chunks, warning) => {
    expect(decode(chunks).end).toBe(warning);
  });

  test.each([
    ['a wrong magic number', Buffer.concat([header(0x12345678), call(1, X86_64, 0)])],
    ['a later version', Buffer.concat([header(NOTIFY_MAGIC, 2), call(1, X86_64, 0)])],
    [
      'a call record of the wrong size',
      Buffer.concat([header(), call(1, X86_64, 0).fill(0, 2, 3)]),
    ],
  ])('%s is a LogParseError', (_name, bytes) => {
    expect(() => decode([bytes])).toThrow(LogParseError);
  });
});

describe('Observation.addNotified', () => {
  const observe = (calls: readonly NotifiedCall[]) => {
    const obs = new Observation('x86_64');
    for (const c of calls) obs.addNotified(c, 'seccomp');
    return obs;
  };

  test('names calls from the ABI of seccomp_data.arch, x32 by its number bit, unknown arches dropped', () => {
    const base = { tid: 1, args: [0n, 0n, 0n, 0n, 0n, 0n], seq: 1 };
    const obs = observe([
      { ...base, arch: X86_64, nr: 0 },
      { ...base, arch: X86, nr: 3 },
      { ...base, arch: X86_64, nr: 0x40000000 },
      { ...base, arch: 0x1234, nr: 0 },
    ]);
    expect(obs.syscalls().map((s) => [s.abi, s.name, s.nr])).toEqual([
      ['x32', 'read', 0x40000000],
      ['x86', 'read', 3],
      ['x86_64', 'read', 0],
    ]);
    expect(obs.totalCalls).toBe(3);
  });

  test('argument facts are the register values, counted per value; no errno outcomes', () => {
    const sock = (seq: number, family: bigint, tid = 5): NotifiedCall => ({
      tid,
      arch: X86_64,
      nr: 41,
      args: [family, 0x80001n, 0n, 0n, 0n, 0n],
      seq,
      comm: 'python3',
      exe: '/usr/bin/python3.11',
    });
    const [socket] = observe([sock(1, 1n), sock(2, 1n, 6), sock(3, 16n)]).syscalls();
    expect(socket).toMatchObject({
      name: 'socket',
      count: 3,
      errors: {},
      firstSeen: { source: 'seccomp', line: 1 },
      processes: ['python3'],
      executables: ['/usr/bin/python3.11'],
      args: {
        family: {
          index: 0,
          values: [
            { value: '1', text: '0x1', count: 2 },
            { value: '16', text: '0x10', count: 1 },
          ],
        },
        type: { index: 1, values: [{ value: '524289', text: '0x80001', count: 3 }] },
        protocol: { index: 2, values: [{ value: '0', text: '0', count: 3 }] },
      },
    });
  });
});
