/**
 * The prober built from source when the package or checkout holds none: with the host's C compiler
 * into a private cache directory, keyed by the source's hash, refused in a directory others can
 * write, and an error that says what the compiler said when it cannot be built. Runs under CI=true
 * and wherever a C compiler is installed.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hostArch, syscallNumber } from '../arch/index.js';
import { RuntimeError } from '../document/errors.js';
import { hasTool } from '../../test/oracle/kernel.js';
import { buildProber, cacheDir, cachedProberPath } from './native.js';

const source = resolve(import.meta.dirname, '../../native/prober.c');
const scratch = mkdtempSync(join(tmpdir(), 'sysgate-native-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The p_type of each program header of a 64-bit little-endian ELF file. */
function programHeaderTypes(file: string): number[] {
  const b = readFileSync(file);
  const phoff = Number(b.readBigUInt64LE(32));
  const size = b.readUInt16LE(54);
  return Array.from({ length: b.readUInt16LE(56) }, (_, i) => b.readUInt32LE(phoff + i * size));
}

describe('the cache', () => {
  test.each([
    [{ XDG_CACHE_HOME: '/x/cache' }, '/x/cache/sysgate'],
    [{ XDG_CACHE_HOME: 'relative' }, join(process.env.HOME ?? '', '.cache/sysgate')],
    [{}, join(process.env.HOME ?? '', '.cache/sysgate')],
  ])('%j -> %s', (env, dir) => {
    expect(cacheDir({ ...env, HOME: process.env.HOME })).toBe(dir);
  });

  test('one directory per source text and architecture', () => {
    const a = cachedProberPath('int main(){}', '/c');
    expect(a).toMatch(new RegExp(`^/c/prober-${process.arch}-[0-9a-f]{16}/prober$`));
    expect(cachedProberPath('int main(){}', '/c')).toBe(a);
    expect(cachedProberPath('int main(){return 1;}', '/c')).not.toBe(a);
  });
});

describe.runIf(process.env.CI === 'true' || hasTool('cc'))('building the prober', () => {
  test('with the host compiler: a static prober that answers probes', () => {
    const target = join(scratch, 'ok', 'prober-x', 'prober');
    buildProber(source, target);
    expect(readdirSync(join(scratch, 'ok', 'prober-x'))).toEqual(['prober']);
    const close = syscallNumber(hostArch(), 'close');
    const r = spawnSync(target, [], {
      input: `${close?.toString(16)} ffffffff\n`,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('err 9\n'); // EBADF
    const types = programHeaderTypes(target);
    expect(types).toContain(1); // PT_LOAD
    expect(types).not.toContain(3); // PT_INTERP: no dynamic loader
  });

  test('without a compiler: a runtime error naming it and how to build', () => {
    const target = join(scratch, 'none', 'prober-x', 'prober');
    let thrown: unknown;
    try {
      buildProber(source, target, { CC: '/nonexistent/cc' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RuntimeError);
    expect((thrown as Error).message).toMatch(/\/nonexistent\/cc: not installed/);
    expect((thrown as Error).message).toMatch(/make -C .*native/);
    expect(readdirSync(join(scratch, 'none', 'prober-x'))).toEqual([]);
  });

  test('a compiler that fails: its last line of output', () => {
    let thrown: unknown;
    try {
      buildProber(source, join(scratch, 'bad', 'prober-x', 'prober'), { CC: 'cc -std=nonsense' });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as Error).message).toMatch(/cc -std=nonsense: .*nonsense/);
  });

  test('refused in a directory others can write', () => {
    const shared = join(scratch, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const target = join(shared, 'prober-x', 'prober');
    expect(() => {
      buildProber(source, target);
    }).toThrow(/not a directory only this user can write/);
    expect(existsSync(target)).toBe(false);
  });
});
