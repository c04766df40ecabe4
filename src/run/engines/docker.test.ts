import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hostRootfsLayout } from '../rootfs.js';
import { DEFAULT_LIMITS, dockerLimitArgs } from '../limits.js';
import {
  DEFAULT_IMAGE,
  PODMAN_DEFAULT_IMAGE,
  dockerRunArgs,
  dockerSandboxArgs,
  emptyDir,
  hostMountArgs,
} from './docker.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../kb/index.js';

describe("a container's sandbox has one description", () => {
  const limits = dockerLimitArgs(DEFAULT_LIMITS);

  test.each([
    {
      name: "sysgate's image: no network, the limits, the host's /usr and /etc",
      sandbox: {},
      args: ['--network', 'none', ...limits, ...hostMountArgs()],
    },
    {
      name: "another image: none of the host's directories",
      sandbox: { image: 'alpine:3' },
      args: ['--network', 'none', ...limits],
    },
    {
      name: 'binds, a working directory, the host network, no limits',
      sandbox: {
        image: 'alpine:3',
        network: 'host',
        cwd: '/w',
        limits: {},
        binds: [{ source: '/w' }, { source: '/data', target: '/d', readOnly: false }],
      },
      args: ['--network', 'host', '--workdir', '/w', '-v', '/w:/w:ro', '-v', '/data:/d:rw'],
    },
    {
      name: 'the prober, read-only at /sysgate/prober, before the binds',
      sandbox: { image: 'alpine:3', prober: '/p/prober', binds: [{ source: '/w' }] },
      args: [
        '--network',
        'none',
        ...limits,
        '-v',
        '/p/prober:/sysgate/prober:ro',
        '-v',
        '/w:/w:ro',
      ],
    },
  ])('$name', ({ sandbox, args }) => {
    expect(dockerSandboxArgs(sandbox)).toEqual(args);
  });

  test("sysgate's image gets /usr and /etc read-only and the host's secrets masked", () => {
    const layout = hostRootfsLayout();
    const text = hostMountArgs().join(' ');
    expect(text).toContain('-v /usr:/usr:ro');
    expect(text).toContain('-v /etc:/etc:ro');
    for (const f of layout.maskedFiles) expect(text).toContain(`-v /dev/null:${f}:ro`);
    for (const d of layout.maskedDirs) expect(text).toContain(`--tmpfs ${d}:ro`);
  });

  test('docker run takes the sandbox between the profile and the image', () => {
    const options = { argv: ['true'], binds: [{ source: '/w' }], cwd: '/w' };
    const args = dockerRunArgs(options, '/tmp/p.json', false);
    const sandbox = dockerSandboxArgs(options);
    const at = args.indexOf('--network');
    expect(args.slice(at, at + sandbox.length)).toEqual(sandbox);
    expect(args.slice(0, at)).toEqual([
      '--rm',
      '-i',
      '--label',
      'sysgate.managed=1',
      '--security-opt',
      'seccomp=/tmp/p.json',
    ]);
    expect(args.slice(at + sandbox.length)).toEqual([DEFAULT_IMAGE, 'true']);
  });

  test("podman run: runc, limits it can grant, Docker's default caps, its own image", () => {
    const args = dockerRunArgs({ cli: 'podman', argv: ['true'] }, '/tmp/p.json', false);
    const text = args.join(' ');
    expect(text).toContain('--runtime runc');
    expect(text).toMatch(/--ulimit nofile=\d+:\d+/);
    const nproc = /--ulimit nproc=\d+:(\d+)/.exec(text);
    expect(Number(nproc?.[1])).toBeLessThanOrEqual(32768);
    expect(text).toContain('--cap-drop all');
    expect(args.filter((a) => a === '--cap-add')).toHaveLength(DOCKER_DEFAULT_CAPABILITIES.length);
    expect(args.slice(-2)).toEqual([PODMAN_DEFAULT_IMAGE, 'true']);
    // Docker's run gets none of it.
    expect(dockerRunArgs({ argv: ['true'] }, undefined, false).join(' ')).not.toContain(
      '--runtime',
    );
  });
});

describe("the host's secret directories are masked by a mount the engine puts last", () => {
  const layout = hostRootfsLayout();

  test('Docker: a read-only tmpfs each (Docker mounts parents first, whatever the kind)', () => {
    const args = hostMountArgs('docker');
    for (const d of layout.maskedDirs) expect(args).toContain(`${d}:ro`);
    expect(args.filter((a) => a === '--tmpfs')).toHaveLength(layout.maskedDirs.length);
  });

  test('Podman: the empty read-only directory as a volume (its tmpfs mounts come before the /etc volume)', () => {
    const args = hostMountArgs('podman');
    expect(args).not.toContain('--tmpfs');
    const empty = emptyDir();
    for (const d of layout.maskedDirs) expect(args).toContain(`${empty}:${d}:ro`);
  });
});

describe('emptyDir', () => {
  const base = (): string => mkdtempSync(join(tmpdir(), 'sg-empty-test-'));

  test('made on first use, mode 0555, the same path after', () => {
    const cache = base();
    const dir = emptyDir(cache);
    expect(statSync(dir).mode & 0o777).toBe(0o555);
    expect(emptyDir(cache)).toBe(dir);
  });

  test.each([
    {
      name: 'an entry inside',
      make: (d: string) => {
        mkdirSync(d);
        writeFileSync(join(d, 'secret'), 'x');
        chmodSync(d, 0o555);
      },
    },
    {
      name: 'writable',
      make: (d: string) => {
        mkdirSync(d, { mode: 0o755 });
      },
    },
    {
      name: 'a symlink to a directory',
      make: (d: string) => {
        symlinkSync('/etc', d);
      },
    },
    {
      name: 'a file',
      make: (d: string) => {
        writeFileSync(d, '');
      },
    },
  ])('refused when the path is $name', ({ make }) => {
    const cache = base();
    make(join(cache, 'empty'));
    expect(() => emptyDir(cache)).toThrow(/must be an empty directory no one can write to/);
  });
});
