import { describe, expect, test } from 'vitest';
import type { RootfsLayout } from '../rootfs.js';
import { bwrapArgs } from './bwrap.js';

const layout: RootfsLayout = {
  symlinks: [{ name: 'bin', target: 'usr/bin' }],
  dirs: ['proc', 'tmp', 'usr', 'etc'],
  hostBinds: ['/usr', '/etc'],
  maskedFiles: ['/etc/shadow'],
  maskedDirs: ['/etc/ssl/private'],
};

describe('bwrapArgs', () => {
  test('host /usr and /etc read-only, secrets masked, fresh namespaces, no capabilities, filter on fd 3', () => {
    expect(bwrapArgs({ argv: ['/bin/true'], filter: new Uint8Array(8), layout })).toEqual([
      ...['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc', '--symlink', 'usr/bin', '/bin'],
      ...['--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys'],
      ...['--dev', '/dev', '--tmpfs', '/tmp'],
      ...['--ro-bind', '/dev/null', '/etc/shadow'],
      ...['--tmpfs', '/etc/ssl/private', '--remount-ro', '/etc/ssl/private'],
      ...['--unshare-user', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup'],
      '--unshare-net',
      ...['--cap-drop', 'ALL', '--die-with-parent', '--new-session'],
      '--clearenv',
      ...['--setenv', 'PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...['--setenv', 'HOME', '/root', '--setenv', 'LANG', 'C.UTF-8'],
      ...['--seccomp', '3', '--', '/bin/true'],
    ]);
  });

  test('regression: the host root is never bound and no capability is kept', () => {
    const args = bwrapArgs({ argv: ['sh'], layout, shareNet: true });
    const text = args.join(' ');
    expect(text).not.toMatch(/--(ro-|dev-)?bind \/ \//);
    expect(text).not.toContain('--unshare-all');
    expect(text).not.toContain('--cap-add');
    expect(text).toContain('--cap-drop ALL');
  });

  test('binds come before the masks, so none uncovers a secret; shared network and cwd; no filter', () => {
    const args = bwrapArgs({
      argv: ['ls'],
      binds: [{ source: '/a' }, { source: '/b', target: '/c', readOnly: false }],
      shareNet: true,
      cwd: '/tmp',
      layout,
    });
    expect(args).not.toContain('--unshare-net');
    expect(args).not.toContain('--seccomp');
    const text = args.join(' ');
    expect(text).toContain('--ro-bind /a /a --bind /b /c --ro-bind /dev/null /etc/shadow');
    expect(text).toContain('--chdir /tmp -- ls');
  });

  test('stacked filters (a split program): one --add-seccomp-fd each from fd 3, in load order', () => {
    const two = [new Uint8Array(8), new Uint8Array(16)];
    const args = bwrapArgs({ argv: ['/bin/true'], filter: two, layout });
    expect(args).not.toContain('--seccomp');
    expect(args.slice(-6)).toEqual([
      ...['--add-seccomp-fd', '3', '--add-seccomp-fd', '4'],
      ...['--', '/bin/true'],
    ]);
    // A list of one is the plain --seccomp.
    const one = bwrapArgs({ argv: ['/bin/true'], filter: [new Uint8Array(8)], layout });
    expect(one.slice(-4)).toEqual(['--seccomp', '3', '--', '/bin/true']);
  });

  test('the host layout by default', () => {
    const args = bwrapArgs({ argv: ['true'] });
    expect(args.slice(0, 6)).toEqual(['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc']);
  });
});
