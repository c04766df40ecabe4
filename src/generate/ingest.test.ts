import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { writeEvidence } from './evidence.js';
import { detectInputKind, ingest } from './ingest.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');
const path = (f: string): string => join(TRACES, f);
const read = (f: string): string => readFileSync(path(f), 'utf8');

async function* chunks(text: string, cuts: readonly number[]): AsyncGenerator<Buffer> {
  await Promise.resolve();
  const buf = Buffer.from(text);
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c <= at || c >= buf.length) continue;
    yield buf.subarray(at, c);
    at = c;
  }
  yield buf.subarray(at);
}

describe('detectInputKind', () => {
  test.each([
    ['python-f.strace', 'strace'],
    ['python-C-f.strace', 'strace'],
    ['python-ttt-T.strace', 'strace'],
    ['ff/python.15148', 'strace'],
    ['python-c-f.txt', 'strace-summary'],
    ['python-c-custom-columns.txt', 'strace-summary'],
    ['personality-mixed64-c.txt', 'strace-summary'],
    ['seccomp/netlink-docker-log-all.txt', 'audit'],
    ['seccomp/dmesg-docker-actions.txt', 'audit'],
    ['seccomp/auditd-enriched-audit.log', 'audit'],
    ['seccomp/ausearch-i.txt', 'audit'],
  ])('%s is %s', (file, kind) => {
    expect(detectInputKind(read(file).slice(0, 65536))).toBe(kind);
  });
});

describe('ingest', () => {
  test('an -ff directory gives one evidence with the calls of every file', async () => {
    const ev = await ingest({ name: path('ff') }, { host: 'x86_64' });
    const files = ['15148', '15149', '15150', '15151', '15152'].map((t) => read(`ff/python.${t}`));
    // Independent count: lines that start a call (no pid column in -ff files).
    const calls = files.reduce((n, t) => n + [...t.matchAll(/^[a-z0-9_]+\(/gm)].length, 0);
    expect(ev.totals.calls).toBe(calls);
    expect(ev.syscalls.map((s) => s.name)).toContain('clone3');
  });

  test('strace -c tables: counts and errors per row', async () => {
    const ev = await ingest({ name: path('python-c-f.txt') }, { host: 'x86_64' });
    const row = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+)\s+openat$/m.exec(read('python-c-f.txt'));
    const openat = ev.syscalls.find((s) => s.name === 'openat');
    expect(openat?.count).toBe(Number(row?.[1]));
    expect(openat?.errors['(errors)']).toBe(Number(row?.[2]));
  });

  test('audit records are named from their own arch', async () => {
    const ev = await ingest({ name: path('seccomp/netlink-docker-arch.txt') }, { host: 'x86_64' });
    expect(ev.syscalls.some((s) => s.abi === 'x86' && s.name === 'write')).toBe(true);
  });

  test('evidence files are read back as they are', async () => {
    const ev = await ingest({ name: path('git-init.strace') }, { host: 'x86_64' });
    const text = writeEvidence(ev);
    const again = await ingest({ name: '-', stream: chunks(text, []) }, { host: 'x86_64' });
    expect(again).toEqual(ev);
  });

  test('garbage lines are warnings with line numbers, never a crash', async () => {
    const warnings: string[] = [];
    const text = `${read('git-add.strace').slice(0, 5000)}\n\u0000\u0001garbage (\n12345 open(\n`;
    const ev = await ingest(
      { name: 'x', stream: chunks(text, [100, 2000]) },
      { host: 'x86_64', onWarning: (w) => warnings.push(w) },
    );
    expect(ev.totals.calls).toBeGreaterThan(10);
    expect(warnings.some((w) => /^x:\d+: /.test(w))).toBe(true);
  });

  test('property: chunk boundaries never change the evidence', async () => {
    const text = read('git-add.strace');
    const whole = await ingest({ name: 's', stream: chunks(text, []) }, { host: 'x86_64' });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 20 }),
        async (cuts) => {
          const ev = await ingest({ name: 's', stream: chunks(text, cuts) }, { host: 'x86_64' });
          expect(ev).toEqual(whole);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('property: a truncated trace never invents syscalls', async () => {
    const text = read('node-f.strace');
    const whole = await ingest({ name: 's', stream: chunks(text, []) }, { host: 'x86_64' });
    const names = new Set(whole.syscalls.map((s) => s.name));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: text.length }), async (cut) => {
        const ev = await ingest(
          { name: 's', stream: chunks(text.slice(0, cut), []) },
          { host: 'x86_64' },
        );
        for (const s of ev.syscalls) expect(names.has(s.name), s.name).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});

describe('ingest: crashes of the traced processes', () => {
  test.each([
    [
      'signals-sigsegv-core.strace',
      /^pid \d+ killed by SIGSEGV \(.*signals-sigsegv-core\.strace line \d+\)$/,
    ],
    ['signals-sigabrt.strace', /killed by SIGABRT/],
  ])('%s: the crash is in the evidence', async (file, want) => {
    const ev = await ingest({ name: path(file) }, { host: 'x86_64' });
    expect(ev.meta.crashes).toEqual([expect.stringMatching(want)]);
  });

  test.each(['signals-sigterm-self.strace', 'python-f.strace'])(
    '%s: a SIGTERM or a clean exit is no crash',
    async (file) => {
      const ev = await ingest({ name: path(file) }, { host: 'x86_64' });
      expect(ev.meta.crashes).toBeUndefined();
    },
  );
});

describe('the byte scanner gives the evidence the line parser gives', () => {
  const traces = readdirSync(TRACES).filter((f) => f.endsWith('.strace'));
  test.each(traces)('%s', async (f) => {
    const bytes = await ingest({ name: path(f) }, { host: 'x86_64', straceReader: 'bytes' });
    const lines = await ingest({ name: path(f) }, { host: 'x86_64', straceReader: 'lines' });
    expect(bytes.totals.calls).toBeGreaterThan(0);
    expect(bytes).toEqual(lines);
  });
  test('a directory of -ff files', async () => {
    const dir = path('ff');
    expect(await ingest({ name: dir }, { host: 'x86_64', straceReader: 'bytes' })).toEqual(
      await ingest({ name: dir }, { host: 'x86_64', straceReader: 'lines' }),
    );
  });
});
