import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineSplitter } from './lines.js';
import {
  callArgs,
  parseStrace,
  StraceParser,
  type StraceCall,
  type StraceEvent,
} from './strace.js';
import { parseSummary } from './summary.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');
const read = (f: string): string => readFileSync(join(TRACES, f), 'utf8');
const calls = (events: StraceEvent[]): StraceCall[] =>
  events.filter((e): e is StraceCall => e.kind === 'call');

describe('line kinds', () => {
  const cases: { name: string; lines: string[]; expect: Partial<StraceCall>[] }[] = [
    {
      name: 'complete call with -f prefix',
      lines: ['15119 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3'],
      expect: [{ tid: 15119, name: 'openat', ret: 3n, interrupted: false }],
    },
    {
      name: 'error return',
      lines: ['15119 access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)'],
      expect: [{ name: 'access', ret: -1n, errno: 'ENOENT' }],
    },
    {
      name: 'unnamed errno',
      lines: ['1 getpid() = -1 (errno 4000) (INJECTED)'],
      expect: [{ name: 'getpid', errno: 'errno 4000' }],
    },
    {
      name: 'unfinished and resumed pair',
      lines: [
        '5 wait4(5960,  <unfinished ...>',
        '6 getpid() = 6',
        '5 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 5960',
      ],
      expect: [
        { tid: 6, name: 'getpid' },
        {
          tid: 5,
          name: 'wait4',
          ret: 5960n,
          argsText: '5960, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL',
        },
      ],
    },
    {
      name: 'killed inside a call',
      lines: [
        '7 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=5, tv_nsec=0},  <unfinished ...>',
        '7 <... clock_nanosleep resumed> <unfinished ...>) = ?',
        '7 +++ killed by SIGKILL +++',
      ],
      expect: [{ name: 'clock_nanosleep', interrupted: true }],
    },
    {
      name: 'timestamps, -n and -i prefixes',
      lines: [
        '15261 1795454002.589755 [  59] [00007f63a4f55ad7] execve("/usr/bin/python3", ["python3"], 0x7ffd /* 35 vars */) = 0 <0.000235>',
      ],
      expect: [{ name: 'execve', nr: 59, time: '1795454002.589755', ret: 0n }],
    },
    {
      name: '-Y comm',
      lines: ['14902<a b\\76c\\74d> getpid() = 14902'],
      expect: [{ tid: 14902, comm: 'a b>c<d', name: 'getpid' }],
    },
    {
      name: 'unknown syscall number',
      lines: ['syscall_0x1c3(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)'],
      expect: [{ name: 'syscall_0x1c3', nr: 0x1c3 }],
    },
    {
      name: 'hex and octal returns',
      lines: ['1 brk(NULL) = 0x1cc47000', '1 umask(000) = 022'],
      expect: [{ ret: 0x1cc47000n }, { ret: 0o22n }],
    },
    {
      name: 'exit_group returns ? without being interrupted',
      lines: ['1 exit_group(0) = ?', '1 +++ exited with 0 +++'],
      expect: [{ name: 'exit_group', interrupted: false }],
    },
    {
      name: 'execve by a non-leader thread resumes under the leader',
      lines: [
        '15515 execve("/bin/true", ["true"], 0x7ffe /* 35 vars */ <pid changed to 15514 ...>',
        '15514 +++ superseded by execve in pid 15515 +++',
        '15514 <... execve resumed>) = 0',
      ],
      expect: [{ name: 'execve', tid: 15514, ret: 0n, interrupted: false }],
    },
    {
      name: 'restart_syscall resumed',
      lines: [
        '9 restart_syscall(<... resuming interrupted clock_nanosleep ...> <unfinished ...>',
        '9 <... restart_syscall resumed>) = 0',
      ],
      expect: [{ name: 'restart_syscall', ret: 0n }],
    },
    {
      name: 'continuation, signal and diagnostic lines are not calls',
      lines: [
        ' > /usr/lib/x86_64-linux-gnu/libc.so.6(execve+0x7) [0xd4ad7]',
        '5 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=6611} ---',
        'strace: Process 15130 attached',
      ],
      expect: [],
    },
  ];
  test.each(cases)('$name', ({ name, lines, expect: want }) => {
    const r = parseStrace(lines.join('\n'));
    expect(r.warnings).toEqual([]);
    const got = calls(r.events);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => {
      expect(got[i]).toMatchObject(w);
    });
    // Splitting the raw text gives the arguments strace printed.
    if (name === 'unfinished and resumed pair')
      expect(got[1] && callArgs(got[1])).toEqual([
        '5960',
        '[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]',
        '0',
        'NULL',
      ]);
  });

  test('personality switches apply to the process and are inherited through clone', () => {
    const r = parseStrace(
      [
        '100 [ Process PID=100 runs in 32 bit mode. ]',
        '100 getpid() = 100',
        '100 clone(child_stack=NULL, flags=SIGCHLD) = 101',
        '101 getpid() = 101',
        '100 [ Process PID=100 runs in 64 bit mode. ]',
        '100 getpid() = 100',
      ].join('\n'),
    );
    expect(calls(r.events).map((c) => `${c.tid}:${c.personality}`)).toEqual([
      '100:32',
      '100:32',
      '101:32',
      '100:64',
    ]);
  });

  test('garbage gets a warning with its line number', () => {
    const r = parseStrace('1 getpid() = 1\nthis is not strace\n1 getpid(');
    expect(r.warnings.map((w) => w.line)).toEqual([2, 3]);
    expect(calls(r.events).map((c) => c.name)).toEqual(['getpid', 'getpid']);
  });
});

describe('real samples', () => {
  // stderr captures interleave strace's own messages into trace lines; those produce warnings by design.
  const files = readdirSync(TRACES).filter((f) => f.endsWith('.strace'));
  test.each(files)('%s parses without warnings', (f) => {
    const r = parseStrace(read(f));
    expect(r.warnings).toEqual([]);
    expect(calls(r.events).length).toBeGreaterThan(0);
  });

  test('-ff per-tid files parse without warnings, each tid from its file name', () => {
    for (const f of readdirSync(join(TRACES, 'ff'))) {
      const tid = Number(f.split('.').pop());
      const r = parseStrace(read(join('ff', f)), { tid });
      expect(r.warnings, f).toEqual([]);
      expect(calls(r.events).every((c) => c.tid === tid)).toBe(true);
    }
  });

  test('counts per syscall equal the -C summary strace appended to the same run', () => {
    // Independent oracle: strace's own counting of the very calls in this file.
    const text = read('python-C-f.strace');
    const table = parseSummary(text).rows;
    expect(table.length).toBeGreaterThan(50);
    const counts = new Map<string, { calls: number; errors: number }>();
    for (const c of calls(parseStrace(text).events)) {
      const x = counts.get(c.name) ?? { calls: 0, errors: 0 };
      x.calls++;
      if (c.errno !== undefined) x.errors++;
      counts.set(c.name, x);
    }
    for (const row of table)
      expect({ name: row.name, ...counts.get(row.name) }).toEqual({
        name: row.name,
        calls: row.calls,
        errors: row.errors,
      });
    // strace 6.1 leaves exit and exit_group out of its table.
    expect([...counts.keys()].filter((k) => !table.some((r) => r.name === k)).sort()).toEqual([
      'exit',
      'exit_group',
    ]);
  });

  test('every unfinished call in the corpus is paired or reported as interrupted', () => {
    for (const f of files) {
      const text = read(f);
      const unfinished = text
        .split('\n')
        .filter(
          (l) =>
            /[a-z0-9_]\(.*(?:<unfinished \.\.\.>|<pid changed to \d+ \.\.\.>)$/.test(l) &&
            !l.includes('resumed>'),
        ).length;
      const resumed = text.split('\n').filter((l) => /<\.\.\. [a-z0-9_]+ resumed>/.test(l)).length;
      const r = parseStrace(text);
      const interrupted = calls(r.events).filter((c) => c.interrupted).length;
      // Each resumed line closes one entry (some close with `= ?`, counted as interrupted too).
      expect(resumed, f).toBeLessThanOrEqual(unfinished);
      expect(interrupted, f).toBeGreaterThanOrEqual(unfinished - resumed);
    }
  });
});

describe('properties', () => {
  const sample = read('python-f.strace');
  const reference = parseStrace(sample);
  const refCalls = calls(reference.events);
  const names = new Set(refCalls.map((c) => c.name));

  test('random chunk boundaries give the same events as whole-line input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 40 }),
        (cuts) => {
          const splitter = new LineSplitter();
          const parser = new StraceParser();
          const events: StraceEvent[] = [];
          let pos = 0;
          for (const len of cuts) {
            for (const l of splitter.push(sample.slice(pos, pos + len)))
              events.push(...parser.push(l));
            pos += len;
          }
          for (const l of splitter.push(sample.slice(pos))) events.push(...parser.push(l));
          for (const l of splitter.end()) events.push(...parser.push(l));
          events.push(...parser.finish());
          expect(events).toEqual(reference.events);
        },
      ),
      { numRuns: 30 },
    );
  });

  test('a truncated log never crashes and never invents syscalls', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sample.length }), (cut) => {
        const r = parseStrace(sample.slice(0, cut));
        for (const c of calls(r.events)) expect(names.has(c.name)).toBe(true);
        expect(calls(r.events).length).toBeLessThanOrEqual(refCalls.length);
      }),
      { numRuns: 200 },
    );
  });

  test('interleaving two traces of different processes gives the union of their calls', () => {
    const other = read('git-init.strace');
    const otherCalls = calls(parseStrace(other).events);
    const a = sample.split('\n').filter(Boolean);
    const b = other.split('\n').filter(Boolean);
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: a.length + b.length, maxLength: a.length + b.length }),
        (picks) => {
          const merged: string[] = [];
          let i = 0;
          let j = 0;
          for (const p of picks) {
            if ((p && i < a.length) || j >= b.length) merged.push(a[i++] ?? '');
            else merged.push(b[j++] ?? '');
          }
          const r = parseStrace(merged.join('\n'));
          expect(r.warnings).toEqual([]);
          expect(calls(r.events).length).toBe(refCalls.length + otherCalls.length);
        },
      ),
      { numRuns: 10 },
    );
  });

  test('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(() => parseStrace(s)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
