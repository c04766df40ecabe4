import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeOutput } from '../../src/cli/io.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-io-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('writeOutput', () => {
  test('replaces a regular file atomically and leaves no temp file', () => {
    const f = path.join(tmp, 'out.json');
    writeFileSync(f, 'old');
    writeOutput(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(tmp)).toEqual(['out.json']);
  });

  test('a failed write throws and creates nothing', () => {
    const target = path.join(tmp, 'missing-dir', 'out.json');
    expect(() => {
      writeOutput(target, 'new');
    }).toThrow();
    expect(readdirSync(tmp)).toEqual(['out.json']);
  });

  test('writes a device in place instead of replacing it (/dev/null stays a device)', () => {
    writeOutput('/dev/null', 'discarded');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
