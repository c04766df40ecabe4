/**
 * End to end on the real kernel: record the seeds' Python, Node.js and git workloads with strace,
 * merge the evidence, generate one profile, then run every workload under that profile loaded by
 * bubblewrap (sysgate's own compiler) and by Docker (runc); an AF_INET socket fails with EPERM under
 * the same profile, and the profile allows fewer than half the syscalls Docker's default allows.
 * Runs under CI=true (failing if a tool is missing) and wherever strace and bwrap are installed.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { encodeProgram } from '../../src/bpf/instruction.js';
import { compileProfile } from '../../src/compile/index.js';
import { writeProfile, type Profile } from '../../src/profile/index.js';
import { checkForRunc as checkProfile } from '../../src/runc/check.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import { runBwrap } from '../../src/run/engines/bwrap.js';
import { runDocker, DEFAULT_IMAGE, dockerSandboxArgs } from '../../src/run/engines/docker.js';
import { dockerDefaultProfile } from '../../src/generate/advise.js';
import { toolVersions } from '../../src/generate/provenance.js';
import type { Evidence } from '../../src/generate/evidence.js';
import { generateProfile } from '../../src/generate/generate.js';
import { mergeEvidence } from '../../src/generate/merge.js';
import { record } from '../../src/generate/record.js';
import { WORKLOADS } from './record-workloads.testkit.js';

function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

const CI = process.env.CI === 'true';
const enabled = CI || (hasTool('strace') && hasTool('bwrap'));
const dockerEnabled =
  CI || (enabled && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0);

const AF_INET_PROBE = `
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print('AF_INET allowed')
except OSError as e:
    print('AF_INET errno', e.errno)
`;

const KERNEL = { major: 6, minor: 1 };

/** Compile a profile as runc would receive it on this host (no capabilities) and return the BPF bytes. */
function filterBytes(profile: Profile): Uint8Array {
  const resolved = resolveProfile(profile, { arch: 'x86_64', caps: [], kernel: KERNEL });
  if (resolved === null) throw new Error('profile turned seccomp off');
  return encodeProgram(compileProfile(resolved, { arch: 'x86_64', stats: false }).program);
}

function allowedNames(profile: Profile): Set<string> {
  return new Set(
    profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
  );
}

describe.runIf(enabled)('record -> merge -> generate -> run under the profile', () => {
  const evidence: Evidence[] = [];

  test.each(WORKLOADS)('record $name', async (w) => {
    const r = await record({ argv: w.argv, host: 'x86_64', stdio: 'pipe' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(w.expect);
    expect(r.evidence.totals.calls).toBeGreaterThan(100);
    expect(r.evidence.syscalls.map((s) => s.name)).toContain('execve');
    evidence.push(r.evidence);
  });

  test('the python recording saw only AF_UNIX sockets, as numbers', () => {
    const py = evidence.find((e) => e.meta.command?.[0] === '/usr/bin/python3');
    const socket = py?.syscalls.find((s) => s.name === 'socket');
    expect(socket?.args.family?.values.map((v) => v.value)).toEqual(['1']);
    const clone3 = py?.syscalls.find((s) => s.name === 'clone3');
    const clone = py?.syscalls.find((s) => s.name === 'clone');
    expect(clone3 ?? clone).toBeDefined();
  });

  test('the merged profile runs every workload under bubblewrap, and refuses AF_INET with EPERM', async () => {
    expect(evidence).toHaveLength(3);
    const merged = mergeEvidence(evidence);
    expect(merged.meta.inputs).toBe(3);
    expect(merged.syscalls.find((s) => s.name === 'execve')?.coverage).toBe(3);
    const profile = generateProfile(merged);
    expect(checkProfile(profile).filter((i) => i.severity === 'error')).toEqual([]);
    const filter = filterBytes(profile);
    for (const w of WORKLOADS) {
      const r = await runBwrap({ argv: w.argv, filter, timeoutMs: 60_000 });
      expect(r.exitCode, `${w.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(w.expect);
    }
    // The same workloads with an empty allowlist fail: the profile is really in force.
    const probe = await runBwrap({
      argv: ['/usr/bin/python3', '-c', AF_INET_PROBE],
      filter,
      timeoutMs: 60_000,
    });
    expect(probe.stdout.trim(), probe.stderr).toBe('AF_INET errno 1');
    const unfiltered = await runBwrap({
      argv: ['/usr/bin/python3', '-c', AF_INET_PROBE],
      timeoutMs: 60_000,
    });
    expect(unfiltered.stdout.trim()).toBe('AF_INET allowed');
  });

  test("the profile allows fewer than half of the syscalls Docker's default allows", () => {
    const profile = generateProfile(mergeEvidence(evidence));
    const resolved = resolveProfile(dockerDefaultProfile(), {
      arch: 'x86_64',
      caps: DOCKER_DEFAULT_CAPABILITIES,
      kernel: KERNEL,
    });
    const docker = new Set(
      (resolved?.syscalls ?? [])
        .filter((r) => r.action === 'SCMP_ACT_ALLOW')
        .flatMap((r) => r.names),
    );
    const ours = allowedNames(profile);
    expect(docker.size).toBeGreaterThan(300);
    expect(ours.size * 2).toBeLessThan(docker.size);
  });

  describe.runIf(dockerEnabled)('Docker', () => {
    test('every workload runs under the merged profile (target docker) in a container, AF_INET gets EPERM', async () => {
      const profile = generateProfile(mergeEvidence(evidence), { target: 'docker' });
      const seccomp = JSON.parse(writeProfile(profile)) as object;
      for (const w of WORKLOADS) {
        const r = await runDocker({
          argv: w.argv,
          seccomp,
          timeoutMs: 120_000,
        });
        expect(r.exitCode, `${w.name}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(w.expect);
      }
      const probe = await runDocker({
        argv: ['/usr/bin/python3', '-c', AF_INET_PROBE],
        seccomp,
        timeoutMs: 120_000,
      });
      expect(probe.stdout.trim(), probe.stderr).toBe('AF_INET errno 1');
    });

    test('record --docker traces the workload inside the container from its execve on', async () => {
      const r = await record({
        argv: [
          '/usr/bin/python3',
          '-c',
          'import socket; socket.socket(socket.AF_UNIX).close(); print("in container")',
        ],
        host: 'x86_64',
        stdio: 'pipe',
        docker: { image: DEFAULT_IMAGE, runArgs: dockerSandboxArgs({}) },
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('in container');
      // The first call recorded is the workload's own execve, not the runtime's setup.
      const execve = r.evidence.syscalls.find((s) => s.name === 'execve');
      expect(execve?.firstSeen.line).toBe(1);
      expect(
        r.evidence.syscalls
          .find((s) => s.name === 'socket')
          ?.args.family?.values.map((v) => v.value),
      ).toEqual(['1']);
      // Provenance: the image's real id (as docker reports it), the command, tool versions, date.
      const id = spawnSync('docker', ['image', 'inspect', '-f', '{{.Id}}', DEFAULT_IMAGE], {
        encoding: 'utf8',
      }).stdout.trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const [prov] = r.evidence.meta.provenance ?? [];
      expect(prov?.image).toEqual({ name: DEFAULT_IMAGE, id, digests: [] });
      expect(prov?.command[0]).toBe('/usr/bin/python3');
      expect(prov?.tools).toEqual(toolVersions('strace'));
      expect(prov?.tools.strace).toMatch(/^\d+\.\d+/);
      expect(prov?.date).toBe(r.evidence.meta.recordedAt);
    });
  });
});
