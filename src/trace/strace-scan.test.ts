import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LogParseError } from '../document/errors.js';
import { LineSplitter, LOG_MAX_LINE } from './lines.js';
import {
  StraceParser,
  type StraceCallFields,
  type StraceEvent,
  type StraceParserOptions,
} from './strace.js';
import { findArgsEndBytes, StraceScanner } from './strace-scan.js';
import { argAt, findArgsEnd, scanArgs } from './tokenize.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');

/** Every field of a call, copied (the scanner's view is reused). */
function copyCall(c: StraceCallFields): Record<string, unknown> {
  return {
    kind: 'call',
    tid: c.tid,
    name: c.name,
    nr: c.nr,
    personality: c.personality,
    argsText: c.argsText,
    ret: c.ret,
    errno: c.errno,
    interrupted: c.interrupted,
    time: c.time,
    comm: c.comm,
    line: c.line,
  };
}

interface Outcome {
  events: unknown[];
  warnings: unknown[];
  droppedWarnings: number;
  droppedPending: number;
  error?: string;
}

/** The reference: stream decoding, line splitting and the line parser, as forEachLine does. */
function reference(chunks: readonly Buffer[], opts: StraceParserOptions, maxLine = 400): Outcome {
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter('-', maxLine);
  const parser = new StraceParser(opts);
  const events: unknown[] = [];
  const add = (es: StraceEvent[]): void => {
    for (const e of es) events.push(e.kind === 'call' ? copyCall(e) : e);
  };
  const out = (error?: string): Outcome => ({
    events,
    warnings: parser.warnings,
    droppedWarnings: parser.droppedWarnings,
    droppedPending: parser.droppedPending,
    ...(error !== undefined ? { error } : {}),
  });
  try {
    for (const c of chunks) for (const l of splitter.push(decoder.write(c))) add(parser.push(l));
    for (const l of splitter.push(decoder.end())) add(parser.push(l));
    for (const l of splitter.end()) add(parser.push(l));
  } catch (e) {
    if (e instanceof LogParseError) return out(e.code);
    throw e;
  }
  add(parser.finish());
  return out();
}

let slowLines = 0;
let allLines = 0;

/** The byte scanner over the same chunks. */
function scanned(chunks: readonly Buffer[], opts: StraceParserOptions, maxLine = 400): Outcome {
  const scanner = new StraceScanner(opts, '-', maxLine);
  const events: unknown[] = [];
  const sink = {
    call: (c: StraceCallFields) => events.push(copyCall(c)),
    event: (e: StraceEvent) => events.push(e),
  };
  const out = (error?: string): Outcome => {
    slowLines += scanner.slowLines;
    allLines += scanner.lines;
    return {
      events,
      warnings: scanner.warnings,
      droppedWarnings: scanner.droppedWarnings,
      droppedPending: scanner.droppedPending,
      ...(error !== undefined ? { error } : {}),
    };
  };
  try {
    for (const c of chunks) {
      // The caller may reuse its buffer: hand over a copy and scribble on it afterwards.
      const copy = Buffer.from(c);
      scanner.pushBytes(copy, sink);
      copy.fill(0x3c);
    }
    scanner.endBytes(sink);
  } catch (e) {
    if (e instanceof LogParseError) return out(e.code);
    throw e;
  }
  return out();
}

/** Cut `bytes` at the given offsets (sorted, deduplicated, in range). */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Mostly `common`, sometimes `rare`. */
function mostly<T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 10, arbitrary: common }, { weight: 1, arbitrary: rare });
}

// Generators of strace-like text: every prefix, line kind and argument shape the parser knows, and
// some it does not.
const tidArb = fc.constantFrom(0, 1, 7, 15119, 15120, 4194303);
const nameArb = fc.constantFrom(
  'read',
  'openat',
  'mmap',
  'socket',
  'ioctl',
  'clone',
  'clone3',
  'execve',
  'exit_group',
  'exit',
  'wait4',
  'futex',
  'syscall_0x1c3',
  'syscall_999',
  'restart_syscall',
  'prctl',
  'kill',
);
const stringArb = fc
  .array(
    mostly(
      fc.constantFrom('a', '/etc/ld.so.cache', '\\0', 'é', '\\177ELF', ' '),
      fc.constantFrom('\\"', '\\\\', '(', ')', ',', '<', '>', '{', ']', '\u{1f600}', ' = 0', '...'),
    ),
    { maxLength: 6 },
  )
  .map((parts) => `"${parts.join('')}"${parts.length % 3 === 0 ? '...' : ''}`);
const tokenArb = mostly(
  fc.oneof(
    fc.constantFrom(
      'NULL',
      '0',
      '8192',
      '-1',
      '0x7f00',
      'AT_FDCWD',
      'AT_FDCWD</opt/samples>',
      '3</etc/ld.so.cache>',
      '3<socket:[1234]>',
      '4<pipe:[5]>',
      'PROT_READ|PROT_WRITE',
      'MAP_PRIVATE|MAP_ANONYMOUS',
      '0x3 /* PROT_READ|PROT_WRITE */',
      'AF_UNIX',
      'SOCK_STREAM|SOCK_CLOEXEC',
      'flags=CLONE_VM|CLONE_FS|SIGCHLD',
      'child_tidptr=0x7f12',
      '1<<CAP_CHOWN',
      '{st_mode=S_IFREG|0644, st_size=35775, ...}',
      '["git", "init", "-q"]',
      '0x7ffc32a238d0 /* 35 vars */',
      '[{fd=3, events=POLLIN}]',
      '{sa_handler=0x1, sa_mask=[], sa_flags=SA_RESTORER}',
      'TCGETS',
      '0x5401',
      '~[RTMIN RT_1]',
    ),
    stringArb,
  ),
  fc.constantFrom('/* comment, with ) */', '"unclosed', '<', '->', '(', ']', '{'),
);
const argsArb = fc.array(tokenArb, { maxLength: 6 }).map((a) => a.join(', '));
const retArb = mostly(
  fc.constantFrom(
    ' = 0',
    ' = 3',
    ' = -1 ENOENT (No such file or directory)',
    ' = -1 EAGAIN (Resource temporarily unavailable) <0.000012>',
    ' = ?',
    ' = 0x7f02bd52b000',
    ' = 1 (errno 4000)',
    ' = 18446744073709551615',
    ' = -9007199254740993',
    ' = 15120',
    ' = 3</etc/passwd>',
    '                     = 7',
    ' = 2 <0.000100>',
  ),
  fc.constantFrom(
    ' = 0xZ',
    ' = 022',
    ' = 09',
    ' = -07',
    ' = 1 (errno x)',
    ' = -1 E (x)',
    ' = -1 EPERM (unclosed',
    '\t= 5',
    ' =  1',
    '',
    ' = 0 \u00a0',
  ),
);
const prefixArb = mostly(
  fc.oneof(
    fc.tuple(tidArb, fc.constantFrom('', ' ', '  ')).map(([t, s]) => `${t} ${s}`),
    tidArb.map((t) => `[pid ${String(t).padStart(5)}] `),
    fc
      .tuple(tidArb, fc.constantFrom('python3', 'a b', '\\033x', 'é'))
      .map(([t, c]) => `${t}<${c}> `),
    fc.constant(''),
  ),
  fc.constantFrom(
    '123456789012345678 ',
    '[pid 1] ',
    '[pidx] ',
    '12<comm>',
    '7<> ',
    '7<x> y> ',
    '7\t',
  ),
);
const timeArb = mostly(
  fc.constantFrom('', '', '', '12:34:56 ', '12:34:56.123456 ', '1700000000.123456 ', '0.000123 '),
  fc.constantFrom('12:34:56.x ', '12:34 ', '(+     0.000021) ', '(+ 0.1) ', '1.5'),
);
const nrArb = mostly(
  fc.constantFrom('', '', '[  9] ', '[231] '),
  fc.constantFrom('[ x] ', '[00007f1234567890] ', '[1]', '[  9] [00007f1234567890] '),
);
const lineArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(prefixArb, timeArb, nrArb, nameArb, argsArb, retArb, fc.constantFrom(')', ')', ''))
      .map(([p, t, n, name, a, r, close]) => [p, t, n, `${name}(`, a, `${close}${r}`]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(prefixArb, timeArb, nrArb, nameArb, argsArb)
      .map(([p, t, n, name, a]) => [p, t, n, `${name}(`, a, ' <unfinished ...>']),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(prefixArb, timeArb, nrArb, nameArb, argsArb, retArb)
      .map(([p, t, n, name, a, r]) => [
        p,
        t,
        n,
        `<... ${name} resumed>`,
        a ? `, ${a}` : '',
        `)${r}`,
      ]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      prefixArb,
      timeArb,
      fc.constant(''),
      fc.constantFrom(
        '+++ exited with 0 +++',
        '+++ exited with 1',
        '+++ killed by SIGSEGV (core dumped) +++',
        '+++ killed by SIGKILL +++',
        '+++ superseded by execve in pid 7 +++',
        '--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---',
        '--- stopped by SIGSTOP ---',
        '--- what ---',
        '[ Process PID=7 runs in 32 bit mode. ]',
        '[ Process PID=15119 runs in x32 mode. ]',
        '[ Process PID=7 runs in 64 bit mode. ]',
        '[ Process PID=7 runs in 16 bit mode. ]',
        'execve("/bin/true", ["true"], 0x7ffe /* 3 vars */ <detached ...>',
        'execve("/bin/true", ["true"], 0x7ffe /* 3 vars */ <pid changed to 15119 ...>',
        'read(3, "x"..., 10 <unfinished ...>) = ?',
        '<... read resumed> <unfinished ...>) = ?',
        '<... restart_syscall resumed> <unfinished ...>',
        '<... ???? resumed>) = 0',
        '????( <unfinished ...>',
        '<...read resumed>) = 0',
        '<... read resumed)',
        'garbage',
        'strace: Process 7 attached',
        'calls  syscall',
        '% time     seconds  usecs/call     calls    errors syscall',
        '100.00    0.000100           1       100           total',
        ' > /usr/lib/libc.so.6(read+0x12) [0x1234]',
        ' | 00000  61 62  ab |',
        '',
        '   ',
        'clone(child_stack=NULL, flags=CLONE_VM) = 15120',
        'fork() = 7',
      ),
      fc.constant(''),
      fc.constant(''),
    ),
  },
);
const logArb = fc
  .tuple(
    fc.array(fc.tuple(lineArb, fc.constantFrom('\n', '\n', '\n', '\r\n')), { maxLength: 40 }),
    fc.boolean(),
  )
  .map(([lines, lastNewline]) => {
    const text = lines.map(([parts, eol]) => parts.join('') + eol).join('');
    return lastNewline ? text : text.replace(/\r?\n$/, '');
  });
/** Bytes, sometimes with invalid UTF-8 or a stray byte spliced in. */
const bytesArb = fc
  .tuple(
    logArb,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xe2, 0xff, 0x00, 0x0a, 0x3c, 0x22)), {
      maxLength: 3,
    }),
  )
  .map(([text, splices]) => {
    const b = [...Buffer.from(text, 'utf8')];
    for (const [at, byte] of splices) b.splice(at % (b.length + 1), 0, byte);
    return Buffer.from(b);
  });
const optsArb = fc.record({
  tid: fc.constantFrom(0, 42),
  maxWarnings: fc.constantFrom(2, 1000),
  maxPending: fc.constantFrom(1, 2, 65_536),
});

describe('StraceScanner equals the line parser', () => {
  test('on generated logs cut at arbitrary chunk boundaries', () => {
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 12 }), optsArb, (bytes, cuts, opts) => {
        const chunks = cut(bytes, cuts);
        expect(scanned(chunks, opts)).toEqual(reference([bytes], opts));
        expect(scanned(chunks, opts)).toEqual(reference(chunks, opts));
      }),
      { numRuns: 3000 },
    );
    // The generated lines exercise the byte path, not only the fallback.
    expect(slowLines).toBeLessThan(allLines * 0.85);
  });

  test('on every corpus trace, read in chunks of 1 byte to 64 KiB', () => {
    const files = readdirSync(TRACES).filter((f) => f.endsWith('.strace'));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const bytes = readFileSync(join(TRACES, f));
      for (const size of [1, 7, 4096, 65536]) {
        const chunks: Buffer[] = [];
        for (let o = 0; o < bytes.length; o += size) chunks.push(bytes.subarray(o, o + size));
        const opts = { tid: 4242 };
        const want = reference([bytes], opts, LOG_MAX_LINE);
        expect(want.events.length).toBeGreaterThan(0);
        expect(scanned(chunks, opts, LOG_MAX_LINE), `${f} in chunks of ${size}`).toEqual(want);
      }
    }
  });

  test('a line longer than the cap is refused as by the line splitter, counted in characters', () => {
    const ok = Buffer.from(`1 read("${'é'.repeat(180)}") = 0\n`); // 200 characters, 380 bytes
    expect(scanned([ok], {}).error).toBeUndefined();
    expect(scanned([ok], {}).events).toHaveLength(1);
    const long = Buffer.from(`1 read("${'x'.repeat(400)}") = 0\n`);
    expect(scanned([long], {}).error).toBe('log-line-too-long');
    expect(reference([long], {}).error).toBe('log-line-too-long');
  });
});

describe('calls in flight are capped', () => {
  test('past maxPending the oldest is reported as interrupted and counted', () => {
    const text = Array.from({ length: 5 }, (_, i) => `${100 + i} read(3,  <unfinished ...>\n`).join(
      '',
    );
    const out = scanned([Buffer.from(text)], { maxPending: 2 });
    expect(out.droppedPending).toBe(3);
    expect(out.events).toHaveLength(5);
    expect(out.events.slice(0, 3).map((e) => (e as { tid: number }).tid)).toEqual([100, 101, 102]);
    expect(out.warnings).toEqual([
      { line: 3, message: 'more than 2 calls in flight: the oldest are reported as interrupted' },
    ]);
    expect(out).toEqual(reference([Buffer.from(text)], { maxPending: 2 }));
  });
});

describe('calls in flight past the cap, many times over', () => {
  test('are reported oldest first in bounded bookkeeping, resumed ones skipped', () => {
    const lines: string[] = [];
    // 5,000 threads enter a call; every third one's call returns before the next thread starts.
    for (let t = 0; t < 5000; t++) {
      lines.push(`${10_000 + t} read(3,  <unfinished ...>`);
      if (t % 3 === 0) lines.push(`${10_000 + t} <... read resumed>"", 1) = 0`);
    }
    const out = scanned([Buffer.from(lines.join('\n') + '\n')], { maxPending: 10 }, LOG_MAX_LINE);
    const interrupted = out.events
      .filter((e) => (e as { interrupted: boolean }).interrupted)
      .map((e) => (e as { tid: number }).tid - 10_000);
    const want = Array.from({ length: 5000 }, (_, t) => t).filter((t) => t % 3 !== 0);
    expect(interrupted).toEqual(want);
    expect(out.droppedPending).toBe(want.length - 10);
    expect(out).toEqual(
      reference([Buffer.from(lines.join('\n') + '\n')], { maxPending: 10 }, LOG_MAX_LINE),
    );
  });
});

describe('byte tokenizer equals the string tokenizer', () => {
  test('findArgsEndBytes and argAt on generated argument lists', () => {
    fc.assert(
      fc.property(
        fc.tuple(argsArb, fc.constantFrom('', ')', ') = 0', ', x) = 1', ' <unfinished ...>')),
        fc.nat({ max: 7 }),
        ([args, tail], k) => {
          const text = args + tail;
          const b = Buffer.from(text + '\n');
          const end = findArgsEndBytes(b, 0, b.length - 1);
          const want = findArgsEnd(text, 0);
          expect(end < 0 ? -1 : Buffer.from(text).subarray(0, end).toString()).toEqual(
            want < 0 ? -1 : text.slice(0, want),
          );
          expect(argAt(text, k)).toEqual(scanArgs(text, 0).args[k]);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
