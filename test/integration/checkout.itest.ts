/**
 * sysgate run from a fresh checkout whose prober is not built (a copy of the sources, examples and
 * native/ sources, node_modules linked): `run` works under runc, crun and docker and leaves no
 * native/build behind (Docker created an empty root-owned one, runc and crun failed to mount it); a
 * probe run under runc, crun and docker builds the prober into the user's cache (never into the
 * checkout), or without a compiler says why and how to build it (exit 3); `npm run build` builds it
 * into native/build, and the compiled CLI then probes under runc, crun and docker. Runs under CI=true and wherever the engines are installed.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';

const root = resolve(import.meta.dirname, '../..');
const ENGINES = ['runc', 'crun', 'docker'] as const;
const on = (engine: string): boolean => process.env.CI === 'true' || hasTool(engine);

const checkout = mkdtempSync(join(tmpdir(), 'sysgate-checkout-'));
/** The user's cache of the runs below (the prober sysgate builds goes there). */
const cache = join(checkout, '.cache');
afterAll(() => {
  rmSync(checkout, { recursive: true, force: true });
});

/** A suite of one probe (getpid allowed) under Docker's default profile. */
const SUITE = `name: one-probe
profile: ${join(checkout, 'examples/docker-default.json')}
probes:
  - name: getpid
    syscall: getpid
    expect: allowed
`;

beforeAll(() => {
  for (const f of [
    'src',
    'scripts',
    'examples',
    'package.json',
    'tsconfig.json',
    'tsconfig.build.json',
  ])
    cpSync(join(root, f), join(checkout, f), { recursive: true });
  for (const f of readdirSync(join(root, 'native')).filter(
    (n) => n === 'Makefile' || n.endsWith('.c'),
  ))
    cpSync(join(root, 'native', f), join(checkout, 'native', f));
  symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
  writeFileSync(join(checkout, 'suite.yaml'), SUITE);
});

/** `sysgate ARGS` from the checkout's sources, in the checkout, with `cache` as the user's cache. */
function fromSources(
  args: readonly string[],
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  return spawnSync(
    join(root, 'node_modules/.bin/tsx'),
    [join(checkout, 'src/cli/main.ts'), ...args],
    {
      encoding: 'utf8',
      cwd: checkout,
      timeout: 120_000,
      env: { ...process.env, XDG_CACHE_HOME: cache, ...env },
    },
  );
}

describe('a checkout whose prober is not built', () => {
  test.each(ENGINES.filter(on))('run --engine %s works and creates no native/build', (engine) => {
    const r = fromSources([
      ...['run', '--engine', engine, '--profile', 'examples/docker-default.json', '--'],
      ...['sh', '-c', 'echo ran; ls /sysgate'],
    ]);
    expect(r.stdout, r.stderr).toBe('ran\n');
    expect(r.status).toBe(0);
    expect(existsSync(join(checkout, 'native/build'))).toBe(false);
  });

  test.runIf(on('runc'))('without a compiler a probe run exits 3 and says how to build', () => {
    const r = fromSources(['test', 'suite.yaml', '--engine', 'runc'], { CC: '/nonexistent/cc' });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('/nonexistent/cc: not installed');
    expect(r.stderr).toContain(`make -C ${join(checkout, 'native')}`);
    expect(existsSync(join(checkout, 'native/build'))).toBe(false);
  });

  test.each(ENGINES.filter(on))(
    'a probe run under %s builds the prober into the cache, not the checkout',
    (engine) => {
      const r = fromSources(['test', 'suite.yaml', '--engine', engine]);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^PASS +probe +getpid +allowed +ok /m);
      expect(readdirSync(cache)).toEqual(['sysgate']);
      // Besides the prober, the cache holds only the stack binaries' version answers.
      const cached = readdirSync(join(cache, 'sysgate')).filter((f) => f !== 'stack-versions.json');
      expect(cached).toEqual([
        expect.stringMatching(new RegExp(`^prober-${process.arch}-[0-9a-f]{16}$`)),
      ]);
      expect(existsSync(join(checkout, 'native/build'))).toBe(false);
    },
  );

  describe('after npm run build', () => {
    beforeAll(() => {
      const r = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', cwd: checkout });
      expect(r.status, r.stderr).toBe(0);
    }, 300_000);

    test('the prober is built, and the CLI bundle answers', () => {
      expect(existsSync(join(checkout, 'native/build/prober'))).toBe(true);
      const r = spawnSync('node', [join(checkout, 'dist/bin/sysgate.js'), '--version'], {
        encoding: 'utf8',
        cwd: checkout,
      });
      expect(r.stdout.trim(), r.stderr).toMatch(/^\d+\.\d+\.\d+/);
    });

    test.each(ENGINES.filter(on))('the built CLI probes under %s', (engine) => {
      const r = spawnSync(
        'node',
        [join(checkout, 'dist/cli/main.js'), 'test', 'suite.yaml', '--engine', engine],
        { encoding: 'utf8', cwd: checkout, timeout: 120_000 },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    });
  });
});
