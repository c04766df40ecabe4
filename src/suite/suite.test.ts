import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseSuite, SuiteError, textExpectation } from './suite.js';

const GOOD = `name: demo
profile: p.json
engine: bwrap
probe-mode: inline
workloads:
  - name: hello
    run: echo hello
    expect: {exit: 0, stdout: [/hel+o/, hello]}
  - name: argv
    run: [/bin/true]
    timeout: 5
probes:
  - name: inet
    syscall: socket
    args: [AF_INET, SOCK_STREAM, 0]
    expect: {errno: EPERM}
  - name: pid
    syscall: 39
    expect: allowed
load:
  - name: web
    server: nginx
    ready: {tcp: 127.0.0.1:8080}
    client: {http: http://127.0.0.1:8080/, requests: 100, concurrency: 10}
    expect: {errors: 0}
`;

/** The issues of a suite that must not parse. */
function issuesOf(
  text: string,
): { code: string; pointer: string; line?: number; column?: number }[] {
  try {
    parseSuite('s.yaml', text);
  } catch (e) {
    if (!(e instanceof SuiteError)) throw e;
    return e.issues.map((i) => ({
      code: i.code,
      pointer: i.pointer,
      ...(i.position && { line: i.position.line, column: i.position.column }),
    }));
  }
  throw new Error('expected a SuiteError');
}

describe('parseSuite', () => {
  test('reads every section', () => {
    const s = parseSuite('dir/s.yaml', GOOD);
    expect(s.name).toBe('demo');
    expect(s.profile).toBe('p.json');
    expect(s.engine).toBe('bwrap');
    expect(s.probeMode).toBe('inline');
    expect(s.workloads.map((w) => [w.name, w.run, w.exit, w.timeoutSec, w.pointer])).toEqual([
      ['hello', 'echo hello', 0, 120, '/workloads/0'],
      ['argv', ['/bin/true'], 0, 5, '/workloads/1'],
    ]);
    expect(s.workloads[0]?.stdout.map((p) => p.test('say hellllo'))).toEqual([true, false]);
    expect(s.probes.map((p) => [p.syscall, p.args, p.expect])).toEqual([
      ['socket', ['AF_INET', 'SOCK_STREAM', '0'], { kind: 'errno', errno: 1, name: 'EPERM' }],
      ['39', [], { kind: 'allowed' }],
    ]);
    expect(s.load[0]).toMatchObject({
      ready: { host: '127.0.0.1', port: 8080, timeoutSec: 20 },
      client: { kind: 'http', requests: 100, concurrency: 10 },
      maxErrors: 0,
    });
  });

  test.each([
    [
      'unknown top-level key',
      'profil: x\nworkloads: [{name: a, run: x}]\n',
      [{ code: 'unknown-key', pointer: '/profil', line: 1, column: 1 }],
    ],
    [
      'unknown engine',
      'engine: lxc\nworkloads: [{name: a, run: x}]\n',
      [{ code: 'unknown-engine', pointer: '/engine', line: 1, column: 9 }],
    ],
    [
      'bad expect of a probe',
      'probes:\n  - name: p\n    syscall: getpid\n    expect: maybe\n',
      [{ code: 'bad-expect', pointer: '/probes/0/expect', line: 4, column: 13 }],
    ],
    [
      'unknown errno',
      'probes:\n  - name: p\n    syscall: getpid\n    expect: {errno: EWHAT}\n',
      [{ code: 'unknown-errno', pointer: '/probes/0/expect/errno', line: 4, column: 21 }],
    ],
    [
      'duplicate names across sections',
      'workloads: [{name: a, run: x}]\nprobes: [{name: a, syscall: getpid, expect: allowed}]\n',
      [{ code: 'duplicate-name', pointer: '/probes/0/name', line: 2, column: 17 }],
    ],
    [
      'a load step off loopback',
      'load:\n  - name: l\n    server: s\n    ready: {tcp: 10.0.0.1:80}\n    client: {http: http://example.com/}\n',
      [
        { code: 'not-loopback', pointer: '/load/0/ready/tcp', line: 4, column: 18 },
        { code: 'not-loopback', pointer: '/load/0/client/http', line: 5, column: 20 },
      ],
    ],
    ['an empty suite', 'name: x\n', [{ code: 'empty-suite', pointer: '', line: 1, column: 1 }]],
    [
      'a bad regex',
      'workloads: [{name: a, run: x, expect: {stdout: "/(/"}}]\n',
      [{ code: 'bad-pattern', pointer: '/workloads/0/expect/stdout', line: 1, column: 48 }],
    ],
    [
      'too many args',
      'probes: [{name: p, syscall: x, args: [1,2,3,4,5,6,7], expect: allowed}]\n',
      [{ code: 'bad-args', pointer: '/probes/0/args', line: 1, column: 38 }],
    ],
  ])('%s', (_name, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });

  test('a probe names its ABI by arch name; anything else is bad-abi', () => {
    const probe = (abi: string): string =>
      `name: s\nprofile: p.json\nprobes:\n  - {name: a, syscall: socket, abi: ${abi}, expect: killed}\n`;
    expect(parseSuite('s.yaml', probe('x86')).probes[0]?.abi).toBe('x86');
    expect(parseSuite('s.yaml', probe('x32')).probes[0]?.abi).toBe('x32');
    expect(issuesOf(probe('i686'))).toEqual([
      { code: 'bad-abi', pointer: '/probes/0/abi', line: 4, column: 37 },
    ]);
  });

  test('YAML syntax errors carry a position', () => {
    const [issue] = issuesOf('workloads:\n  - name: a\n   run: [\n');
    expect(issue?.code).toBe('yaml-syntax');
    expect(issue?.line).toBeGreaterThan(0);
  });

  test('YAML aliases are resolved exactly', () => {
    const suite = parseSuite(
      'f.yaml',
      'probes:\n  - {name: a, syscall: mount, args: &z [0, 0], expect: allowed}\n  - {name: b, syscall: ptrace, args: *z, expect: allowed}\n',
    );
    expect(suite.probes.map((p) => p.args)).toEqual([
      ['0', '0'],
      ['0', '0'],
    ]);
  });

  test('an alias bomb is a positioned suite error, in bounded time', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    lines.push('probes: *a11');
    const issues = issuesOf(lines.join('\n') + '\n');
    expect(issues).toEqual([{ code: 'yaml-alias', pointer: '', line: 2, column: 10 }]);
  });

  test('arbitrary text either parses or fails with a SuiteError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseSuite('f.yaml', text);
        } catch (e) {
          expect(e).toBeInstanceOf(SuiteError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('textExpectation', () => {
  test.each([
    ['/^ok$/m', 'x\nok\n', true],
    ['/OK/i', 'ok', true],
    ['ok', 'not ok', true],
    ['/a.c/', 'a.c', true],
    ['a.c', 'abc', false],
  ])('%s on %j -> %s', (source, text, want) => {
    expect(textExpectation(source).test(text)).toBe(want);
  });
});
