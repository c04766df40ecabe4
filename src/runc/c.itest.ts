/**
 * Real-kernel test of the C output: compile with gcc + libseccomp, load the filter, run commands.
 * Runs whenever gcc and seccomp.h are present; under CI=true their absence is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseProfile } from '../profile/index.js';
import { resolveProfile, type ResolveHost } from '../profile/resolve.js';
import type { Profile } from '../profile/types.js';
import { toC } from './c.js';
import { hostArch } from '../arch/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';

const CI = process.env.CI === 'true';
const haveGcc =
  spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/include/seccomp.h');
if (CI && !haveGcc) throw new Error('CI=true but gcc or libseccomp-dev (seccomp.h) is missing');
const host: ResolveHost = {
  arch: hostArch(),
  caps: [...DOCKER_DEFAULT_CAPABILITIES],
  kernel: { major: 6, minor: 1 },
};
const dir = mkdtempSync(path.join(tmpdir(), 'sysgate-c-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function build(profile: Profile, name: string): string {
  const resolved = resolveProfile(profile, host);
  if (resolved === null) throw new Error('seccomp off');
  const src = path.join(dir, `${name}.c`);
  const bin = path.join(dir, name);
  writeFileSync(src, toC(resolved, { source: name }));
  execFileSync(
    'gcc',
    ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-o', bin, src, '-lseccomp'],
    { stdio: 'pipe' },
  );
  return bin;
}

describe.skipIf(!haveGcc)('generated C program (gcc -lseccomp, real kernel)', () => {
  const mobyFile = path.resolve(
    import.meta.dirname,
    '../../test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json',
  );
  const moby = parseProfile(readFileSync(mobyFile, 'utf8'), mobyFile).profile;

  test('the moby default profile compiles warning-free and runs /bin/true', () => {
    const prog = build(moby, 'moby-default');
    const r = spawnSync(prog, ['/bin/true'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('under the moby default profile (no CAP_SYS_ADMIN) unshare(2) is refused with EPERM', () => {
    if (!existsSync('/usr/bin/unshare')) return;
    const prog = build(moby, 'moby-default-2');
    const r = spawnSync(prog, ['/usr/bin/unshare', '--uts', '/bin/true'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Operation not permitted');
  });

  test('a profile blocking mkdir with ERRNO(EPERM) refuses mkdir, allows the rest, skips unknown names', () => {
    const profile: Profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: [],
      syscalls: [
        {
          names: ['sysgate_no_such_syscall', 'mkdir', 'mkdirat'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 1,
          args: [],
          pointer: '/syscalls/0',
        },
      ],
    };
    const prog = build(profile, 'no-mkdir');
    const target = path.join(dir, 'blocked');
    const blocked = spawnSync(prog, ['mkdir', target], { encoding: 'utf8' });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr).toContain('Operation not permitted');
    expect(existsSync(target)).toBe(false);
    // The same command without the filter works, so the filter made the difference.
    expect(spawnSync('mkdir', [target]).status).toBe(0);
    expect(existsSync(target)).toBe(true);
    // Other syscalls still pass.
    expect(spawnSync(prog, ['/bin/true']).status).toBe(0);
  });

  test('errnoRet and argument conditions reach the kernel: kill(pid, 0) gets EACCES, kill(pid, SIGWINCH) passes', () => {
    const profile: Profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: [],
      syscalls: [
        {
          names: ['kill'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 13,
          args: [{ index: 1, value: 0n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }],
          pointer: '/syscalls/0',
        },
      ],
    };
    const prog = build(profile, 'kill-0');
    const script = [
      'import os',
      'try:',
      '    os.kill(os.getpid(), 0); print("sig0 ok")',
      'except OSError as e:',
      '    print("sig0 errno", e.errno)',
      'os.kill(os.getpid(), 28); print("sig28 ok")',
    ].join('\n');
    const r = spawnSync(prog, ['python3', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sig0 errno 13\nsig28 ok\n');
  });
});
