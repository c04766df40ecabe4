import { describe, expect, test } from 'vitest';
import { bwrapArgs } from './bwrap.js';

describe('bwrapArgs', () => {
  test('read-only host, fresh namespaces, filter on fd 3', () => {
    expect(bwrapArgs({ argv: ['/bin/true'], filter: new Uint8Array(8) })).toEqual([
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--seccomp',
      '3',
      '--',
      '/bin/true',
    ]);
  });

  test('binds, shared network and cwd; no filter', () => {
    const args = bwrapArgs({
      argv: ['ls'],
      binds: [{ source: '/a' }, { source: '/b', target: '/c', readOnly: false }],
      shareNet: true,
      cwd: '/tmp',
    });
    expect(args).toContain('--share-net');
    expect(args).not.toContain('--seccomp');
    expect(args.join(' ')).toContain('--ro-bind /a /a --bind /b /c');
    expect(args.join(' ')).toContain('--chdir /tmp -- ls');
  });
});
