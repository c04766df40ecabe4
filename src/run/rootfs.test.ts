import { execFileSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { makeRootfsDir, rootfsTar, type RootfsLayout } from './rootfs.js';

const layout: RootfsLayout = {
  symlinks: [
    { name: 'bin', target: 'usr/bin' },
    { name: 'lib64', target: 'usr/lib64' },
  ],
  dirs: ['proc', 'tmp', 'usr', 'sysgate'],
  hostBinds: ['/usr', '/etc'],
  maskedFiles: [],
  maskedDirs: [],
};

describe('rootfsTar', () => {
  test('GNU tar reads the archive: entries, types, modes and link targets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-tar-'));
    try {
      writeFileSync(join(dir, 'r.tar'), rootfsTar(layout));
      const listing = execFileSync('tar', ['-tvf', join(dir, 'r.tar')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((l) => {
          const f = l.split(/\s+/);
          return `${f[0]} ${f.slice(5).join(' ')}`;
        });
      expect(listing).toEqual([
        'drwxr-xr-x proc/',
        'drwxrwxrwt tmp/',
        'drwxr-xr-x usr/',
        'drwxr-xr-x sysgate/',
        'lrwxrwxrwx bin -> usr/bin',
        'lrwxrwxrwx lib64 -> usr/lib64',
      ]);
      expect(rootfsTar(layout).length % 512).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('makeRootfsDir', () => {
  test('creates the mount points and links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-rootfs-'));
    try {
      makeRootfsDir(dir, layout);
      expect(readlinkSync(join(dir, 'bin'))).toBe('usr/bin');
      expect(statSync(join(dir, 'tmp')).mode & 0o7777).toBe(0o1777);
      expect(statSync(join(dir, 'sysgate')).isDirectory()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
