import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  hostRootfsLayout,
  makeRootfsDir,
  rootfsTar,
  secretMasks,
  type RootfsLayout,
} from './rootfs.js';

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

describe('secretMasks', () => {
  test('existing secrets under the binds: files, directories, globbed keys, links followed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-secrets-'));
    try {
      const etc = join(dir, 'etc');
      mkdirSync(join(etc, 'ssh'), { recursive: true });
      mkdirSync(join(etc, 'ssl/private'), { recursive: true });
      for (const f of [
        'shadow',
        'ssh/ssh_host_rsa_key',
        'ssh/ssh_host_rsa_key.pub',
        'ssh/ssh_host_ed25519_key',
        'real-gshadow',
      ])
        writeFileSync(join(etc, f), 'secret');
      writeFileSync(join(dir, 'outside'), 'not visible');
      symlinkSync('real-gshadow', join(etc, 'gshadow'));
      symlinkSync('../outside', join(etc, 'krb5.keytab'));
      const patterns = [
        'shadow',
        'gshadow',
        'gshadow-',
        'ssh/*_key',
        'ssl/private',
        'krb5.keytab',
        'real-gshadow',
      ].map((p) => join(etc, p));
      expect(secretMasks([etc], patterns)).toEqual({
        files: [
          join(etc, 'shadow'),
          join(etc, 'real-gshadow'),
          join(etc, 'ssh/ssh_host_ed25519_key'),
          join(etc, 'ssh/ssh_host_rsa_key'),
        ],
        dirs: [join(etc, 'ssl/private')],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('this host: /etc/shadow and /etc/gshadow are masked in every layout', () => {
    const layout = hostRootfsLayout();
    expect(layout.maskedFiles).toEqual(expect.arrayContaining(['/etc/shadow', '/etc/gshadow']));
  });
});
