import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import { cwdBind, parseBind } from './binds.js';

const cwd = mkdtempSync(join(tmpdir(), 'sysgate-binds-'));
mkdirSync(join(cwd, 'data'));
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe('parseBind', () => {
  const data = join(cwd, 'data');
  test.each([
    ['data', { source: data, target: data, readOnly: true }],
    ['data:ro', { source: data, target: data, readOnly: true }],
    ['data:rw', { source: data, target: data, readOnly: false }],
    ['data:/d', { source: data, target: '/d', readOnly: true }],
    ['data:/d:rw', { source: data, target: '/d', readOnly: false }],
    ['./data/../data:/x/../d:ro', { source: data, target: '/d', readOnly: true }],
    [`${data}:/srv/app`, { source: data, target: '/srv/app', readOnly: true }],
  ])('%s', (text, expected) => {
    expect(parseBind(text, cwd)).toEqual(expected);
  });

  test.each([
    ['', 'SRC[:DST][:ro|rw]'],
    [':/d', 'SRC[:DST][:ro|rw]'],
    ['data:', 'SRC[:DST][:ro|rw]'],
    ['data:/d:rw:x', 'SRC[:DST][:ro|rw]'],
    ['data:/d:x', 'SRC[:DST][:ro|rw]'],
    ['missing', 'does not exist'],
    ['data:rel', 'absolute path'],
    ['data:/', "sandbox's root"],
    ['data:/d/..', "sandbox's root"],
  ])('%j is bad usage (%s)', (text, message) => {
    expect(() => parseBind(text, cwd)).toThrow(UsageError);
    expect(() => parseBind(text, cwd)).toThrow(message);
  });
});

describe('cwdBind', () => {
  test('the current directory, read-only at its own path', () => {
    expect(cwdBind(`${cwd}/data/`)).toEqual({
      source: join(cwd, 'data'),
      target: join(cwd, 'data'),
      readOnly: true,
    });
  });

  test('never the host root', () => {
    expect(cwdBind('/')).toBeUndefined();
  });
});
