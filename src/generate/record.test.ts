import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RuntimeError } from '../document/errors.js';
import { straceBundle } from './record.js';

const dir = mkdtempSync(join(tmpdir(), 'sysgate-record-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('straceBundle: the strace path is data, never shell text', () => {
  test.each([
    ['command substitution', (m: string) => `$(touch ${m})`],
    ['backticks', (m: string) => `\`touch ${m}\``],
    ['a second command', (m: string) => `x; touch ${m}`],
  ])('%s is not run, and a missing binary is a RuntimeError', (_name, make) => {
    const marker = join(dir, `pwned-${String(Math.random()).slice(2)}`);
    expect(() => straceBundle(make(marker))).toThrow(RuntimeError);
    expect(existsSync(marker)).toBe(false);
  });
});
