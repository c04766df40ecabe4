import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import { binaryVersion, detectEngine, pickEngine } from './detect.js';

const has = (tool: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

describe('engine detection', () => {
  test('an unknown engine name is a usage error', async () => {
    await expect(pickEngine('lxc', 'profile')).rejects.toThrow(UsageError);
  });

  test.each(['bwrap', 'runc', 'crun', 'podman'] as const)(
    '%s is reported as installed exactly when it is on PATH',
    async (name) => {
      const s = await detectEngine(name);
      expect(s.available).toBe(has(name));
      expect(s.install).toContain('apt-get install');
      if (s.available) expect(s.version).toMatch(/\d+\.\d+/);
    },
  );

  test('auto picks bwrap for raw BPF when it is installed', async () => {
    if (has('bwrap')) expect(await pickEngine('auto', 'bpf')).toBe('bwrap');
    else await expect(pickEngine('auto', 'bpf')).rejects.toThrow(/bubblewrap/);
  });
});

describe('binaryVersion: one ask per binary identity', () => {
  /** A fake tool on a private PATH that counts how often it was asked. */
  function fakeTool(version: string): { dir: string; asked: () => number } {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-version-'));
    writeFileSync(
      join(dir, 'faketool'),
      `#!/bin/sh\necho x >> "${dir}/asked"\necho "faketool version ${version}"\n`,
      { mode: 0o755 },
    );
    const asked = (): number => {
      try {
        return readFileSync(join(dir, 'asked'), 'utf8').split('\n').length - 1;
      } catch {
        return 0;
      }
    };
    return { dir, asked };
  }

  test('the second ask is answered from the cache; a replaced binary is asked again', () => {
    const { dir, asked } = fakeTool('1.2.3');
    const where = { path: dir, cacheFile: join(dir, 'cache', 'versions.json') };
    expect(binaryVersion('faketool', ['--version'], where)).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
    });
    expect(binaryVersion('faketool', ['--version'], where)).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
    });
    expect(asked()).toBe(1);
    // Replaced by another build (a new file: new inode and size).
    const next = join(dir, 'faketool.new');
    writeFileSync(next, `#!/bin/sh\necho x >> "${dir}/asked"\necho "faketool version 1.10.0"\n`, {
      mode: 0o755,
    });
    renameSync(next, join(dir, 'faketool'));
    expect(binaryVersion('faketool', ['--version'], where)).toEqual({
      major: 1,
      minor: 10,
      patch: 0,
    });
    expect(asked()).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a missing binary has no version; a damaged cache file is ignored', () => {
    const { dir, asked } = fakeTool('2.0.1');
    const cacheFile = join(dir, 'versions.json');
    writeFileSync(cacheFile, '{not json');
    expect(binaryVersion('no-such-tool', ['--version'], { path: dir, cacheFile })).toBeUndefined();
    expect(binaryVersion('faketool', ['--version'], { path: dir, cacheFile })?.major).toBe(2);
    expect(asked()).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  });
});
