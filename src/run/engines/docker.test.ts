import { describe, expect, test } from 'vitest';
import { hostRootfsLayout } from '../rootfs.js';
import { DEFAULT_LIMITS, dockerLimitArgs } from '../limits.js';
import {
  DEFAULT_IMAGE,
  PODMAN_DEFAULT_IMAGE,
  dockerRunArgs,
  dockerSandboxArgs,
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
