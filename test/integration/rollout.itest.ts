/**
 * The rollout end to end on Docker and this kernel: `rollout start` writes phase A for an enforcing
 * allowlist (the container-oracle profile: what runc's init and the static prober need), the
 * prober makes raw calls in a container under each phase's profile as Docker resolves it (sysgate's
 * `docker import` image, host /usr and /etc read-only, --network none), and `rollout status` and
 * `promote` read back the kernel's records of the run (from the audit multicast group:
 * kernel-records.testkit.ts), written among an unrelated line to a log file.
 *
 * Phase A (`--critical kill`: Docker here runs runc 1.1.5, which refuses seccomp flags) lets getpriority
 * run and logs it, logs execve (the heartbeat) and kills mount. The gate refuses while the killed
 * mount stands; accepting getpriority, and mount with a reason, promotes to B, whose profile enforces
 * (sysinfo refused, getpriority allowed, execve still logged); B's heartbeat alone promotes to C,
 * whose profile logs nothing.
 *
 * The prober is bound under a fresh name per run, so its records carry their own `comm` among
 * everyone else's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { syscallNumber } from '../../src/arch/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/kb/index.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import { loadForRunc } from '../../src/runc/check.js';
import { runDocker } from '../../src/run/engines/docker.js';
import { runOci } from '../../src/run/engines/oci.js';
import { preparePolicy } from '../../src/run/suite-engine.js';
import { proberPath } from '../../src/run/native.js';
import { driveProber } from '../../src/run/probe.js';
import { formatOutcome, type Probe } from '../../src/run/probe-format.js';
import { SANDBOX_NATIVE_DIR } from '../../src/run/rootfs.js';
import { runCli } from '../cli/run-cli.js';
import { AF_UNIX_ONLY_PROFILE } from './container.testkit.js';
import { kernelRecords } from './kernel-records.testkit.js';
import { hasTool } from '../oracle/kernel.js';

const dockerUp = hasTool('docker') && spawnSync('docker', ['info']).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;
const crunEnabled = process.env.CI === 'true' || hasTool('crun');

const nr = (name: string): number => syscallNumber('x86_64', name) ?? -1;
const call = (name: string, args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n]): Probe => ({
  nr: nr(name),
  args,
});

const code = (line: string): string => /code=(0x[0-9a-f]+)/.exec(line)?.[1] ?? '';
const syscallOf = (line: string): number => Number(/ syscall=(\d+)/.exec(line)?.[1]);

/** What a phase run gave: the probes' outcomes and the kernel's records of this run (by comm). */
interface PhaseRun {
  readonly outcomes: string[];
  readonly records: string[];
  readonly log: string;
}

const dir = mkdtempSync(join(tmpdir(), 'sg-rollout-it-'));

/** The OCI `linux.seccomp` object moby would hand runc for a phase's profile file. */
function ociOf(file: string, text: string): object {
  const resolved = resolveProfile(loadForRunc(file, text).profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error(`${file}: seccomp off`);
  return preparePolicy(file, text, resolved, 'x86_64').oci;
}
let runs = 0;

/**
 * Run `probes` under the profile file in a fresh container, the prober named after `tag`; `want`
 * records are expected. The records are written, among an unrelated line, to a log file for `--from`.
 */
async function runPhase(
  profileFile: string,
  probes: readonly Probe[],
  tag: string,
  want: number,
  engine: 'docker' | 'crun' = 'docker',
): Promise<PhaseRun> {
  const profile = readFileSync(profileFile, 'utf8');
  const oci = engine === 'crun' ? ociOf(profileFile, profile) : undefined;
  const comm = `sgr${tag}${process.pid % 10000}x${runs++}`;
  const target = `${SANDBOX_NATIVE_DIR}/${comm}`;
  const { result: outcomes, records } = await kernelRecords(
    comm,
    async () =>
      (
        await driveProber(
          (args, input) => {
            const common = {
              argv: [target, ...args],
              binds: [{ source: proberPath(), target, readOnly: true }],
              stdin: input,
              timeoutMs: 120_000,
            };
            return oci === undefined
              ? runDocker({ ...common, seccomp: profile })
              : runOci({ ...common, runtime: 'crun', seccomp: oci });
          },
          probes,
          { runtime: engine },
        )
      ).map(formatOutcome),
    want,
  );
  const log = join(dir, `${comm}.log`);
  writeFileSync(log, ['kernel: eth0: link up', ...records, ''].join('\n'));
  return { outcomes, records, log };
}

describe.skipIf(!enabled)('sysgate rollout on Docker, records from the kernel log', () => {
  test('start -> status -> promote refused on a killed critical call -> accepted -> B -> C', async () => {
    const enforcing = join(dir, 'app.json');
    writeFileSync(enforcing, JSON.stringify(AF_UNIX_ONLY_PROFILE));
    const state = join(dir, 'state');
    const rollout = (verb: string, ...args: string[]): ReturnType<typeof runCli> =>
      runCli(['rollout', verb, '--state', state, ...args]);

    const start = await runCli([
      'rollout',
      'start',
      enforcing,
      '--state',
      state,
      '--window',
      '0s',
      '--critical',
      'kill',
    ]);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain('--security-opt seccomp=');

    // Phase A: execve(NULL) fails with EFAULT and is logged (heartbeat), getpriority runs and is
    // logged twice, mount is killed (SIGSYS), getppid is in the profile (no record).
    const a = await runPhase(
      join(state, 'phase-a.json'),
      [call('execve'), call('getpriority'), call('getppid'), call('getpriority'), call('mount')],
      'a',
      4,
    );
    expect(a.outcomes[0]).toBe('errno 14');
    expect(a.outcomes[1]).toMatch(/^ok \d+$/);
    expect(a.outcomes[2]).toMatch(/^ok \d+$/);
    expect(a.outcomes[3]).toBe(a.outcomes[1]);
    expect(a.outcomes[4]).toBe('signal 31');
    expect(a.records.map((l) => [syscallOf(l), code(l)])).toEqual([
      [nr('execve'), '0x7ffc0000'],
      [nr('getpriority'), '0x7ffc0000'],
      [nr('getpriority'), '0x7ffc0000'],
      [nr('mount'), '0x80000000'],
    ]);

    const st = await rollout('status', '--from', a.log, '--json');
    expect(st.code, st.stderr).toBe(1);
    const status = JSON.parse(st.stdout) as {
      gate: {
        pass: boolean;
        observed: { records: number; heartbeat: number };
        reasons: { code: string; syscall?: string; count?: number }[];
        acceptable: { name: string; count: number }[];
        critical: { name: string; count: number }[];
      };
    };
    expect(status.gate.observed).toMatchObject({ records: 4, heartbeat: 1 });
    expect(status.gate.reasons.map((r) => [r.code, r.syscall, r.count])).toEqual([
      ['critical-refused', 'mount', 1],
      ['not-accepted', 'getpriority', 2],
    ]);
    expect(status.gate.acceptable).toEqual([
      expect.objectContaining({ name: 'getpriority', count: 2 }),
    ]);
    expect(status.gate.critical).toEqual([expect.objectContaining({ name: 'mount', count: 1 })]);

    // Accepting the logged call is not enough while the killed critical call stands.
    const refused = await rollout('promote', '--from', a.log, '--accept', 'getpriority');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('promotion refused: phase A stays');
    expect(refused.stdout).toMatch(/critical mount killed/);

    const b = await rollout(
      'promote',
      '--from',
      a.log,
      '--accept',
      'getpriority',
      '--accept-critical',
      'mount',
      '--reason',
      'mounts a tmpfs before it drops privileges',
    );
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('promoted: phase A -> B');
    expect(b.stderr).toMatch(/accepted getpriority: \w+ risk/);
    expect(readFileSync(join(state, 'phase-b.json'), 'utf8')).toContain(
      'reason: mounts a tmpfs before it drops privileges',
    );

    // Phase B enforces: getpriority now allowed (no record), sysinfo refused with the profile's
    // EPERM (not logged: no SECCOMP_FILTER_FLAG_LOG under runc 1.1), mount no longer killed,
    // execve still logged.
    const bRun = await runPhase(
      join(state, 'phase-b.json'),
      [call('execve'), call('getpriority'), call('sysinfo'), call('mount')],
      'b',
      1,
    );
    expect(bRun.outcomes.slice(0, 3)).toEqual(['errno 14', a.outcomes[1], 'errno 1']);
    expect(bRun.outcomes[3]).toMatch(/^errno \d+$/);
    expect(bRun.records.map((l) => [syscallOf(l), code(l)])).toEqual([
      [nr('execve'), '0x7ffc0000'],
    ]);
    // Phase A's records are older than phase B: only the heartbeat counts.
    const c = await rollout('promote', '--from', a.log, bRun.log, '--json');
    expect(c.code, c.stderr).toBe(0);
    const promoted = JSON.parse(c.stdout) as {
      state: { phase: string };
      gate: { observed: { records: number } };
    };
    expect(promoted.state.phase).toBe('C');
    expect(promoted.gate.observed.records).toBe(1);

    // Phase C: the same enforcement, and the heartbeat is a plain allow (nothing logged).
    const phaseC = JSON.parse(readFileSync(join(state, 'phase-c.json'), 'utf8')) as {
      defaultAction: string;
      syscalls: { action: string }[];
    };
    expect(phaseC.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(phaseC.syscalls.filter((r) => r.action === 'SCMP_ACT_LOG')).toEqual([]);
    const cRun = await runPhase(
      join(state, 'phase-c.json'),
      [call('execve'), call('getpriority'), call('sysinfo'), call('mount')],
      'c',
      0,
    );
    expect(cRun.outcomes.slice(0, 3)).toEqual(['errno 14', a.outcomes[1], 'errno 1']);
    expect(cRun.outcomes[3]).toBe(bRun.outcomes[3]);
    expect(cRun.records).toEqual([]);

    const log = readFileSync(join(state, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: string }).event);
    expect(log).toEqual(['start', 'refused', 'promote', 'promote']);
  }, 300_000);

  test.runIf(crunEnabled)(
    'errno mode (crun honours SECCOMP_FILTER_FLAG_LOG): phase A refuses mount with EPERM and the kernel records it',
    async () => {
      const enforcing = join(dir, 'app-errno.json');
      writeFileSync(enforcing, JSON.stringify(AF_UNIX_ONLY_PROFILE));
      const state = join(dir, 'state-errno');
      const start = await runCli([
        'rollout',
        'start',
        enforcing,
        '--state',
        state,
        '--window',
        '0s',
      ]);
      expect(start.code, start.stderr).toBe(0);
      const phaseA = JSON.parse(readFileSync(join(state, 'phase-a.json'), 'utf8')) as {
        flags?: string[];
      };
      expect(phaseA.flags).toContain('SECCOMP_FILTER_FLAG_LOG');
      const a = await runPhase(
        join(state, 'phase-a.json'),
        [call('execve'), call('getpriority'), call('mount')],
        'e',
        3,
        'crun',
      );
      // mount is refused, not killed: the process goes on, and the refusal is in the log (the
      // record's code is the action, SECCOMP_RET_ERRNO, without the errno).
      expect(a.outcomes[0]).toBe('errno 14');
      expect(a.outcomes[1]).toMatch(/^ok \d+$/);
      expect(a.outcomes[2]).toBe('errno 1');
      expect(a.records.map((l) => [syscallOf(l), code(l)])).toEqual([
        [nr('execve'), '0x7ffc0000'],
        [nr('getpriority'), '0x7ffc0000'],
        [nr('mount'), '0x50000'],
      ]);
      const st = await runCli(['rollout', 'status', '--state', state, '--from', a.log, '--json']);
      expect(st.code, st.stderr).toBe(1);
      const gate = (
        JSON.parse(st.stdout) as {
          gate: { reasons: { code: string; syscall?: string; count?: number }[] };
        }
      ).gate;
      expect(gate.reasons.map((r) => [r.code, r.syscall, r.count])).toEqual([
        ['critical-refused', 'mount', 1],
        ['not-accepted', 'getpriority', 1],
      ]);
    },
    120_000,
  );
});
