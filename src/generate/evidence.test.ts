import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Observation } from '../trace/observe.js';
import { parseStrace } from '../trace/strace.js';
import { EvidenceError, readEvidence, toEvidence, writeEvidence } from './evidence.js';
import { mergeEvidence } from './merge.js';
import { SECCOMP_UNSEEN } from './record.js';
import { resolveSymbol } from './symbols.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');

function observe(file: string): Observation {
  const o = new Observation('x86_64', resolveSymbol);
  const text = readFileSync(join(TRACES, file), 'utf8');
  for (const e of parseStrace(text).events) if (e.kind === 'call') o.addCall(e, file);
  return o;
}

describe('evidence round trip', () => {
  test.each(['python-f.strace', 'node-f.strace', 'git-commit.strace', 'argdecode-Xverbose.strace'])(
    '%s',
    (file) => {
      const ev = toEvidence(observe(file), { sources: [file], command: ['x'] });
      const text = writeEvidence(ev);
      expect(readEvidence(text, 'ev.json')).toEqual(ev);
      // Deterministic text.
      expect(writeEvidence(toEvidence(observe(file), { sources: [file], command: ['x'] }))).toBe(
        text,
      );
    },
  );

  test('per-syscall facts: count, errno outcomes, first sighting, process and executable, argument values', () => {
    const ev = toEvidence(observe('python-f.strace'));
    const text = readFileSync(join(TRACES, 'python-f.strace'), 'utf8');
    const access = ev.syscalls.find((s) => s.name === 'access');
    // Independent count from the raw text.
    expect(access?.count).toBe([...text.matchAll(/^\d+ +access\(/gm)].length);
    expect(access?.errors.ENOENT).toBe([...text.matchAll(/^\d+ +access\(.*= -1 ENOENT/gm)].length);
    expect(ev.syscalls.find((s) => s.name === 'execve')?.firstSeen).toEqual({
      source: 'python-f.strace',
      line: 1,
    });
    expect(access?.executables).toContain('/usr/bin/python3');
    const socket = ev.syscalls.find((s) => s.name === 'socket');
    expect(socket?.args.family?.values.map((v) => v.value).sort()).toEqual(['1', '2']);
    expect(ev.totals.calls).toBe(ev.syscalls.reduce((n, s) => n + s.count, 0));
  });
});

describe('evidence recorded via seccomp', () => {
  const seccomp = {
    ...toEvidence(observe('git-init.strace')),
    meta: { inputs: 1, sources: ['seccomp'], recorder: 'seccomp' as const, unseen: SECCOMP_UNSEEN },
  };
  test('says so, read back unchanged', () => {
    const back = readEvidence(writeEvidence(seccomp), 'ev.json');
    expect(back.meta.recorder).toBe('seccomp');
    expect(back.meta.unseen).toEqual(SECCOMP_UNSEEN);
  });
  test('merged with strace evidence, the whole is blind to what the seccomp input could not see', () => {
    const merged = mergeEvidence([toEvidence(observe('git-init.strace')), seccomp]);
    expect(merged.meta.recorder).toBe('seccomp');
    expect(merged.meta.unseen).toEqual(SECCOMP_UNSEEN);
    const strace = mergeEvidence([toEvidence(observe('git-init.strace'))]);
    expect(strace.meta.recorder).toBeUndefined();
    expect(strace.meta.unseen).toBeUndefined();
  });
});

describe('readEvidence errors carry JSON pointers', () => {
  const good = writeEvidence(toEvidence(observe('git-init.strace')));
  const base = JSON.parse(good) as Record<string, unknown> & {
    syscalls: Record<string, unknown>[];
  };
  test.each([
    ['not JSON', '{', 'evidence-syntax', ''],
    ['not evidence', '{"defaultAction":"SCMP_ACT_ERRNO"}', 'not-evidence', '/format'],
    ['wrong version', JSON.stringify({ ...base, version: 2 }), 'evidence-version', '/version'],
    ['bad host', JSON.stringify({ ...base, host: 'vax' }), 'evidence-invalid', '/host'],
    [
      'negative count',
      JSON.stringify({ ...base, syscalls: [{ ...base.syscalls[0], count: -1 }] }),
      'evidence-invalid',
      '/syscalls/0/count',
    ],
    [
      'bad arg value',
      JSON.stringify({
        ...base,
        syscalls: [
          {
            ...base.syscalls[0],
            args: { family: { index: 0, values: [{ value: 'x', text: 'x', count: 1 }] } },
          },
        ],
      }),
      'evidence-invalid',
      '/syscalls/0/args/family/values/0/value',
    ],
    [
      'unknown recorder',
      JSON.stringify({ ...base, meta: { ...(base.meta as object), recorder: 'ptrace' } }),
      'evidence-invalid',
      '/meta/recorder',
    ],
    [
      'unseen not strings',
      JSON.stringify({ ...base, meta: { ...(base.meta as object), unseen: [1] } }),
      'evidence-invalid',
      '/meta/unseen/0',
    ],
  ])('%s', (_name, text, code, pointer) => {
    try {
      readEvidence(text, 'bad.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EvidenceError);
      const issue = (e as EvidenceError).issues[0];
      expect(issue.code).toBe(code);
      expect(issue.pointer).toBe(pointer);
      expect(issue.position?.file).toBe('bad.json');
    }
  });

  test.each<[string, string, number, number]>([
    [
      'a bad field',
      '{\n  "format": "sysgate-evidence",\n  "version": 1,\n  "host": 7,\n  "syscalls": []\n}',
      4,
      11,
    ],
    ['a syntax error', '{\n  "format": "sysgate-evidence",\n  x\n}', 3, 3],
  ])('%s is reported at its real line and column', (_name, text, line, column) => {
    try {
      readEvidence(text, 'bad.json');
      expect.unreachable();
    } catch (e) {
      expect((e as EvidenceError).issues[0].position).toEqual({ file: 'bad.json', line, column });
    }
  });
});
