/**
 * `sysgate drift` on real recordings under Docker. Two images are made with `docker import` from a
 * tiny tar (the host's top-level links and mount points, and /app/run.sh; host /usr and /etc
 * bound read-only at run time): v1 runs a shell script that reads a file, v2 is the "image update"
 * whose script also starts python3, opens an AF_INET socket and calls mount. The profile is
 * recorded from v1 by `sysgate record --docker` (its provenance names v1's image id), and really
 * runs v1 under Docker. drift finds v1 covered (exit 0) and v2 drifted (exit 1): socket with its
 * family pinned, mount never to be allowed. The allow rules drift proposes, added to the profile,
 * leave only mount; v2 then runs under the patched profile in Docker.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DriftFinding } from '../../src/diagnose/drift.js';
import { applySuggestion } from '../../src/diagnose/doctor.js';
import { profileProvenance } from '../../src/generate/provenance.js';
import { parseProfile } from '../../src/profile/parse.js';
import { hostRootfsLayout, makeRootfsDir } from '../../src/run/rootfs.js';
import { runCli } from '../cli/run-cli.js';
import { hasTool } from '../oracle/kernel.js';

const dockerUp = hasTool('docker') && spawnSync('docker', ['info']).status === 0;
const enabled = process.env.CI === 'true' || (dockerUp && hasTool('strace'));

const tag = `sgdrift${process.pid}`;
const V1 = `${tag}:v1`;
const V2 = `${tag}:v2`;
const SCRIPTS: Readonly<Record<string, string>> = {
  [V1]: 'cat /etc/hostname >/dev/null\necho v1\n',
  [V2]: [
    'set -e',
    'cat /etc/hostname >/dev/null',
    '/usr/bin/python3 -c "import socket, ctypes; socket.socket(socket.AF_INET, socket.SOCK_STREAM).close(); ctypes.CDLL(None).mount(None, None, None, 0, None)"',
    'echo v2',
    '',
  ].join('\n'),
};
const dir = mkdtempSync(join(tmpdir(), 'sg-drift-it-'));
/** The host directories the images leave out, bound read-only (sysgate's own image does the same). */
const BINDS = hostRootfsLayout().hostBinds.flatMap((b) => ['--bind', b]);
const ids: Record<string, string> = {};

function docker(args: readonly string[], input?: Buffer): { status: number | null; out: string } {
  const r = spawnSync('docker', args, { input, encoding: 'utf8', maxBuffer: 16 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `docker run` of an image under a profile, as a user would (--network none, host /usr and /etc). */
function runUnder(profile: string, image: string): { status: number | null; out: string } {
  return docker([
    'run',
    '--rm',
    '--network',
    'none',
    '--security-opt',
    `seccomp=${profile}`,
    ...hostRootfsLayout().hostBinds.flatMap((b) => ['-v', `${b}:${b}:ro`]),
    image,
  ]);
}

describe.skipIf(!enabled)('sysgate drift, recorded under Docker', () => {
  beforeAll(() => {
    for (const image of [V1, V2]) {
      const root = join(dir, image.replace(':', '-'));
      mkdirSync(join(root, 'app'), { recursive: true });
      makeRootfsDir(root, hostRootfsLayout());
      writeFileSync(join(root, 'app', 'run.sh'), SCRIPTS[image] ?? '');
      const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 16 << 20 });
      expect(tar.status).toBe(0);
      const imported = docker(
        ['import', '-c', 'CMD ["/bin/sh", "/app/run.sh"]', '-', image],
        tar.stdout,
      );
      expect(imported.status, imported.out).toBe(0);
      ids[image] = docker(['image', 'inspect', '-f', '{{.Id}}', image]).out.trim();
    }
  });
  afterAll(() => {
    docker(['rmi', '-f', V1, V2]);
  });

  test('v1 covered, v2 drifted with the smallest change; the change applied leaves only mount', async () => {
    const profile = join(dir, 'app.json');
    const rec = await runCli([
      'record',
      '--docker',
      V1,
      '--no-cwd',
      ...BINDS,
      '--target',
      'docker',
      '-o',
      profile,
    ]);
    expect(rec.code, rec.stderr).toBe(0);
    const text = readFileSync(profile, 'utf8');
    const [made] = profileProvenance(parseProfile(text, profile).profile);
    expect(made?.image).toEqual({ name: V1, id: ids[V1], digests: [] });
    expect(made?.command).toEqual([]);
    expect(made?.tools.strace).toMatch(/^\d+\.\d+/);
    const v1 = runUnder(profile, V1);
    expect(v1, 'v1 runs under its recorded profile in Docker').toEqual({ status: 0, out: 'v1\n' });

    const drift = (image: string, p: string, ...extra: string[]): ReturnType<typeof runCli> =>
      runCli(['drift', '--profile', p, '--image', image, '--no-cwd', ...BINDS, ...extra]);
    const same = await drift(V1, profile);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('the profile still covers the workload');
    expect(same.stdout).toContain(`made from: image ${V1} (${ids[V1]?.slice(0, 19)})`);

    const evidence = join(dir, 'v2.evidence.json');
    const changed = await drift(V2, profile, '--json', '--evidence', evidence);
    expect(changed.code, changed.stderr).toBe(1);
    const report = JSON.parse(changed.stdout) as {
      covered: boolean;
      findings: DriftFinding[];
      recordings: { provenance: { image?: { id: string } }[] }[];
    };
    expect(report.covered).toBe(false);
    expect(report.recordings[0]?.provenance[0]?.image?.id).toBe(ids[V2]);
    const ev = JSON.parse(readFileSync(evidence, 'utf8')) as {
      meta: { provenance: { image: { name: string } }[] };
    };
    expect(ev.meta.provenance[0]?.image.name).toBe(V2);
    const byName = new Map(report.findings.map((f) => [f.name, f]));
    expect(byName.get('mount')?.change.kind).toBe('never-allow');
    const socket = byName.get('socket');
    expect(socket?.change.kind).toBe('allow');
    const socketRules = socket?.change.kind === 'allow' ? socket.change.rules : [];
    expect(socketRules.map((r) => [r.names, r.args?.[0]])).toEqual([
      [['socket'], { index: 0, value: 2, op: 'SCMP_CMP_EQ' }],
    ]);
    expect(report.findings.every((f) => f.abi === 'x86_64')).toBe(true);
    // v2 under the v1 profile: python3 cannot even start.
    expect(runUnder(profile, V2).status).not.toBe(0);

    // The allow rules applied: v2 runs in Docker, and drift has only the critical call left.
    const rules = report.findings.flatMap((f) => (f.change.kind === 'allow' ? f.change.rules : []));
    const patched = join(dir, 'app-patched.json');
    writeFileSync(patched, applySuggestion(text, rules));
    expect(runUnder(patched, V2)).toEqual({ status: 0, out: 'v2\n' });
    const left = await drift(V2, patched);
    expect(left.code, left.stderr).toBe(1);
    expect(left.stdout).toMatch(/drift: 1 call\(s\) the profile does not allow/);
    expect(left.stdout).toMatch(/never allow: mount is critical/);
  }, 300_000);

  test('--suite records each workload on the suite engine; bad input exits 2', async () => {
    const profile = join(dir, 'app.json');
    const suite = join(dir, 'suite.yaml');
    writeFileSync(
      suite,
      'name: drift\nengine: docker\nworkloads:\n  - name: app\n    run: [/bin/sh, /app/run.sh]\n    expect:\n      exit: 0\n      stdout: [v1]\n',
    );
    const r = await runCli([
      'drift',
      '--profile',
      profile,
      '--suite',
      suite,
      '--image',
      V1,
      ...BINDS,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('recorded app: exit 0');
    for (const bad of [
      ['drift', '--profile', profile],
      ['drift', '--profile', profile, '--suite', suite, '--', 'true'],
      ['drift', '--profile', join(dir, 'none.json'), '--image', V1],
      ['drift', '--profile', profile, '--image', V1, '--engine', 'bwrap'],
    ])
      expect((await runCli(bad)).code, bad.join(' ')).toBe(2);
  }, 300_000);
});
