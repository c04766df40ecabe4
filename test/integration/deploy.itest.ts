/**
 * `sysgate deploy` output used by the real tools: Docker starts a container with the profile file
 * (a 2^64-1 argument value included), docker-compose brings a service up with the security_opt entry,
 * Podman runs a container with it, a swarm service is created from the API request (the engine's API
 * version decides whether the profile reaches the task), systemd parses the drop-in without a
 * complaint and its @default group is the one the knowledge base holds, and kubectl applies the
 * patch to a Deployment. Runs under CI=true (failing if a tool is missing) and wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { SYSTEMD_DEFAULT_SET } from '../../src/kb/systemd.js';
import { DEFAULT_IMAGE, ensureImage, hostMountArgs } from '../../src/run/engines/docker.js';
import { hostRootfsLayout, rootfsTar } from '../../src/run/rootfs.js';
import { runCli } from '../cli/run-cli.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;

/** Allows everything but mkdir; the personality rule carries a value past 2^53 that must reach Docker intact. */
const PROFILE = `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 },
    { "names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{ "index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ" }] }
  ]
}
`;
const CHECK = '/usr/bin/grep ^Seccomp: /proc/1/status; /usr/bin/mkdir /tmp/x && echo mkdir-allowed';

function sh(cmd: string, args: readonly string[], opts: { cwd?: string; input?: Uint8Array } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 180_000, ...opts });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function deployTo(platform: string, dir: string, extra: string[] = []): Promise<string> {
  const r = await runCli([
    'deploy',
    join(dir, 'app.json'),
    '--for',
    platform,
    '--name',
    'web',
    '--image',
    DEFAULT_IMAGE,
    '-o',
    dir,
    ...extra,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!enabled)('sysgate deploy, used by the real tools', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sysgate-deploy-'));
    writeFileSync(join(dir, 'app.json'), PROFILE);
    await ensureImage();
  });

  test('docker run with the written file: seccomp on, mkdir refused with the profile errno', async () => {
    await deployTo('docker', dir);
    expect(readFileSync(join(dir, 'web.json'), 'utf8')).toBe(PROFILE);
    const r = sh('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      ...hostMountArgs(),
      '--security-opt',
      `seccomp=${join(dir, 'web.json')}`,
      DEFAULT_IMAGE,
      '/usr/bin/sh',
      '-c',
      CHECK,
    ]);
    expect(r.out).toMatch(/Seccomp:\s+2/);
    expect(r.out).toContain('Permission denied'); // errnoRet 13 = EACCES
    expect(r.out).not.toContain('mkdir-allowed');
  });

  test('docker-compose up with the security_opt entry (run from the directory holding the profile)', async () => {
    const snippet = await deployTo('compose', dir);
    const doc = parseYaml(snippet.replace(/^#.*$/gm, '')) as {
      services: Record<string, Record<string, unknown>>;
    };
    const service = doc.services.web ?? {};
    const compose = {
      version: '3.8',
      services: {
        web: {
          ...service,
          command: ['/usr/bin/sh', '-c', CHECK],
          network_mode: 'none',
          volumes: ['/usr:/usr:ro', '/etc:/etc:ro'],
        },
      },
    };
    writeFileSync(join(dir, 'docker-compose.yml'), stringify(compose));
    const config = sh('docker-compose', ['config'], { cwd: dir });
    expect(config.code, config.out).toBe(0);
    try {
      const up = sh(
        'docker-compose',
        ['-p', 'sysgatedeploy', 'up', '--no-color', '--abort-on-container-exit'],
        { cwd: dir },
      );
      expect(up.out).toMatch(/Seccomp:\s+2/);
      expect(up.out).toContain('Permission denied');
      expect(up.out).not.toContain('mkdir-allowed');
    } finally {
      sh('docker-compose', ['-p', 'sysgatedeploy', 'down'], { cwd: dir });
    }
  });

  test('podman run with the written file', async () => {
    await deployTo('podman', dir);
    const image = 'localhost/sysgate-deploy:test';
    const imp = sh('podman', ['import', '-q', '-', image], {
      input: rootfsTar(hostRootfsLayout()),
    });
    expect(imp.code, imp.out).toBe(0);
    // crun 1.8 refuses this host's hybrid cgroup layout and Podman asks for rlimits above the
    // machine's hard limits: runc and explicit limits make it start here.
    const r = sh('podman', [
      'run',
      '--rm',
      '--runtime',
      'runc',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1024:1024',
      '--network',
      'none',
      '-v',
      '/usr:/usr:ro',
      '-v',
      '/etc:/etc:ro',
      '--security-opt',
      `seccomp=${join(dir, 'web.json')}`,
      image,
      '/usr/bin/sh',
      '-c',
      CHECK,
    ]);
    expect(r.out).toMatch(/Seccomp:\s+2/);
    expect(r.out).toContain('Permission denied');
    expect(r.out).not.toContain('mkdir-allowed');
  });

  test('swarm: the API request is accepted; the profile reaches the task only from API 1.44', async () => {
    await deployTo('swarm', dir);
    const body = JSON.parse(readFileSync(join(dir, 'web.service.json'), 'utf8')) as {
      Name: string;
      TaskTemplate: { ContainerSpec: Record<string, unknown> };
    };
    body.Name = 'sysgate-deploy-test';
    Object.assign(body.TaskTemplate.ContainerSpec, {
      Command: ['/usr/bin/sleep', '300'],
      Mounts: ['/usr', '/etc'].map((d) => ({ Type: 'bind', Source: d, Target: d, ReadOnly: true })),
    });
    writeFileSync(join(dir, 'service.json'), JSON.stringify(body));
    const api = sh('docker', ['version', '--format', '{{.Server.APIVersion}}']).out.trim();
    const [major = 0, minor = 0] = api.split('.').map(Number);
    const wasSwarm =
      sh('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}']).out.trim() === 'active';
    if (!wasSwarm)
      expect(sh('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']).code).toBe(0);
    try {
      const create = sh('curl', [
        '-sf',
        '--unix-socket',
        '/var/run/docker.sock',
        '-H',
        'Content-Type: application/json',
        '-d',
        `@${join(dir, 'service.json')}`,
        `http://localhost/v${api}/services/create`,
      ]);
      expect(create.code, create.out).toBe(0);
      let id = '';
      for (let i = 0; i < 60 && id === ''; i++) {
        id = sh('docker', [
          'ps',
          '-q',
          '--filter',
          'label=com.docker.swarm.service.name=sysgate-deploy-test',
        ]).out.trim();
        if (id === '') spawnSync('sleep', ['1']);
      }
      expect(id).not.toBe('');
      const r = sh('docker', ['exec', id, '/usr/bin/sh', '-c', CHECK]);
      expect(r.out).toMatch(/Seccomp:\s+2/);
      if (major > 1 || minor >= 44) expect(r.out).not.toContain('mkdir-allowed');
      // Older engines drop Privileges.Seccomp: the task runs under Docker's default, which allows mkdir.
      else expect(r.out).toContain('mkdir-allowed');
    } finally {
      sh('docker', ['service', 'rm', 'sysgate-deploy-test']);
      if (!wasSwarm) sh('docker', ['swarm', 'leave', '--force']);
    }
  });

  test("systemd parses the drop-in without a complaint; its @default group is the knowledge base's", async () => {
    const allow = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":${JSON.stringify([...SYSTEMD_DEFAULT_SET, 'read', 'write', 'openat', 'close'])},"action":"SCMP_ACT_ALLOW"}]}\n`;
    writeFileSync(join(dir, 'allow.json'), allow);
    const r = await runCli([
      'deploy',
      join(dir, 'allow.json'),
      '--for',
      'systemd',
      '--name',
      'web',
      '-o',
      dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const conf = readFileSync(join(dir, 'web.service.d/seccomp.conf'), 'utf8');
    const unit = join(dir, 'web.service');
    writeFileSync(
      unit,
      `[Unit]\nDescription=t\n[Service]\nExecStart=/usr/bin/true\n${conf.replace(/^[#[].*\n/gm, '')}`,
    );
    const v = sh('systemd-analyze', ['verify', unit]);
    expect(v.code, v.out).toBe(0);
    expect(v.out).not.toMatch(/Failed to parse|Unknown|ignoring/);
    const live = sh('systemd-analyze', ['syscall-filter', '@default'])
      .out.split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('@'));
    expect(live.sort()).toEqual([...SYSTEMD_DEFAULT_SET].sort());
    // The check can fail: a name systemd does not know.
    writeFileSync(
      unit,
      `[Unit]\nDescription=t\n[Service]\nExecStart=/usr/bin/true\nSystemCallFilter=read no_such_call\n`,
    );
    expect(sh('systemd-analyze', ['verify', unit]).out).toMatch(/Failed to parse/);
  });

  test('kubectl applies the patch to a Deployment and reads the installer objects', async () => {
    await deployTo('kubernetes', dir);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'a' } },
          spec: { containers: [{ name: 'a', image: 'nginx' }] },
        },
      },
    };
    writeFileSync(join(dir, 'deployment.yaml'), stringify(deployment));
    const p = sh('kubectl', [
      'patch',
      '--local',
      '-f',
      join(dir, 'deployment.yaml'),
      '--patch-file',
      join(dir, 'web-patch.yaml'),
      '-o',
      'yaml',
    ]);
    expect(p.code, p.out).toBe(0);
    const patched = parseYaml(p.out) as {
      spec: { template: { spec: { securityContext: unknown; containers: unknown[] } } };
    };
    expect(patched.spec.template.spec.securityContext).toEqual({
      seccompProfile: { type: 'Localhost', localhostProfile: 'sysgate/web.json' },
    });
    expect(patched.spec.template.spec.containers).toHaveLength(1);
    const l = sh('kubectl', [
      'label',
      '--local',
      '-f',
      join(dir, 'sysgate-seccomp-web.yaml'),
      'check=1',
      '-o',
      'name',
    ]);
    expect(l.code, l.out).toBe(0);
    expect(l.out.trim().split('\n')).toEqual([
      'configmap/sysgate-seccomp-web',
      'daemonset.apps/sysgate-seccomp-web',
    ]);
    const cm = parseAllDocuments(
      readFileSync(join(dir, 'sysgate-seccomp-web.yaml'), 'utf8'),
    )[0]?.toJS() as { data: Record<string, string> };
    expect(cm.data['web.json']).toBe(PROFILE);
  });
});
