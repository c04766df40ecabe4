import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSummary } from './summary.js';

const TRACES = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces');
const read = (f: string): string => readFileSync(join(TRACES, f), 'utf8');

describe('strace -c tables', () => {
  test('blank errors cells', () => {
    const r = parseSummary(read('python-c-f.txt'));
    expect(r.warnings).toEqual([]);
    expect(r.rows.find((x) => x.name === 'newfstatat')).toMatchObject({ calls: 342, errors: 24 });
    expect(r.rows.find((x) => x.name === 'read')).toMatchObject({ calls: 104, errors: 0 });
  });

  test('custom columns (-S calls -U name,calls,errors,time-total) give the same counts', () => {
    const custom = parseSummary(read('python-c-custom-columns.txt'));
    expect(custom.warnings).toEqual([]);
    expect(custom.rows.find((x) => x.name === 'rt_sigaction')).toMatchObject({
      calls: 200,
      errors: 0,
    });
    expect(custom.rows.find((x) => x.name === 'openat')).toMatchObject({ calls: 86, errors: 8 });
  });

  test('a second table for 32-bit mode', () => {
    const r = parseSummary(read('personality-mixed64-c.txt'));
    expect(r.rows.map((x) => `${x.personality}:${x.name}:${x.calls}`)).toEqual([
      '64:write:1',
      '64:getpid:1',
      '64:execve:1',
      '32:getpid:1',
    ]);
  });

  test('wall-time tables and git', () => {
    for (const f of ['python-c-w-f.txt', 'git-commit-c.txt']) {
      const r = parseSummary(read(f));
      expect(r.warnings, f).toEqual([]);
      expect(r.rows.length, f).toBeGreaterThan(10);
    }
  });
});
