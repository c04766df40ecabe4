/**
 * `record --via seccomp` on the real kernel: the seccomp user-notification recorder (native/notifrec)
 * against the strace recorder on the same workloads (a differential test: the same syscalls per ABI
 * and the same argument facts), and the recorder's own contract: exit status and signals forwarded,
 * threads and children inherited (a background child that outlives the command included), nothing
 * refused, the base set really unrecorded when one is asked for, the same run inside Docker.
 * Runs under CI=true (failing if a tool is missing) and wherever strace and the built helper exist.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { syscallNumber } from '../../src/arch/index.js';
import type { Evidence } from '../../src/generate/evidence.js';
import { generateProfile } from '../../src/generate/generate.js';
import { toEvidence } from '../../src/generate/evidence.js';
import { ingest } from '../../src/generate/ingest.js';
import { notifrecArgs, record, SECCOMP_UNSEEN, straceArgs } from '../../src/generate/record.js';
import { resolveSymbol } from '../../src/generate/symbols.js';
import { Observation } from '../../src/trace/observe.js';
import { DEFAULT_IMAGE, dockerSandboxArgs } from '../../src/run/engines/docker.js';
import { notifrecPath } from '../../src/run/native.js';
import { NotifyDecoder, type NotifiedCall } from '../../src/trace/notify.js';
import { WORKLOADS } from './record-workloads.testkit.js';

const CI = process.env.CI === 'true';
const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).error === undefined;
const enabled = CI || hasStrace;
const dockerEnabled =
  CI || (enabled && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0);

/**
 * Syscalls one recorder may see and the other not, each with why. Empty: notifrec's child installs
 * the filter before it execs the command, and strace's trace also starts at that execve, so both see
 * exactly the command's calls from its execve on; neither sees the recorder's own setup (strace's
 * fork and ptrace requests, notifrec's socketpair and magic sendmsg, which the filter lets through).
 */
const PRINCIPLED_DIFFERENCES: readonly { syscall: string; why: string }[] = [];

const work = mkdtempSync(join(tmpdir(), 'sysgate-notifrec-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** `abi:name` of every syscall in the evidence. */
function syscallSet(e: Evidence): string[] {
  return e.syscalls.map((s) => `${s.abi}:${s.name}`).sort();
}

/** Per `abi:name` and argument label, the sorted values seen. */
function argumentFacts(e: Evidence): Record<string, string[]> {
  return Object.fromEntries(
    e.syscalls.flatMap((s) =>
      Object.entries(s.args).map(([label, a]) => [
        `${s.abi}:${s.name}:${label}@${a.index}`,
        a.values.map((v) => v.value ?? `text ${v.text}`).sort(),
      ]),
    ),
  );
}

/** Run notifrec directly and decode its records; `stdout` is the command's. */
function runHelper(
  args: readonly string[],
  argv: readonly string[],
): NotifiedCall[] & { stdout?: string } {
  const out = join(work, `records-${Math.random().toString(16).slice(2)}`);
  const r = spawnSync(notifrecPath(), ['-o', out, ...args, '--', ...argv], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const calls: NotifiedCall[] & { stdout?: string } = [];
  calls.stdout = r.stdout;
  const d = new NotifyDecoder(out);
  d.push(readFileSync(out), (c) => calls.push(c));
  expect(d.finish()).toBeUndefined();
  return calls;
}

const seccomp = { via: 'seccomp' as const, notifrecPath: notifrecPath() };

/**
 * One execution observed by both recorders: strace -f (sysgate's recording options) runs notifrec,
 * which runs the workload. Two separate runs would differ in calls that depend on timing (a Node.js
 * worker's sched_yield seen in one run and not the other), which says nothing about the recorders.
 * strace also sees notifrec itself: its supervising process (every line of the first pid) and its
 * child before the child's execve of the workload are the recorder's setup and are dropped, by pid.
 * Counts are not compared: a thread killed by exit_group between its ptrace entry stop and the filter
 * makes a call strace prints (`<unfinished ...>`) and no filter ever sees (it never ran).
 */
async function bothRecorders(argv: readonly string[]): Promise<{
  strace: Evidence;
  seccomp: Evidence;
  stdout: string;
  status: number | null;
}> {
  const trace = join(work, `trace-${Math.random().toString(16).slice(2)}`);
  const records = `${trace}.records`;
  const r = spawnSync(
    'strace',
    [...straceArgs(trace), '--', notifrecPath(), ...notifrecArgs(records, 'x86_64'), '--', ...argv],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const lines = readFileSync(trace, 'utf8').split('\n');
  const pidOf = (line: string): string | undefined => /^(\d+)[<\s]/.exec(line)?.[1];
  const supervisor = pidOf(lines[0] ?? '');
  let child: string | undefined;
  let childExeced = false;
  const kept = lines.filter((line) => {
    const pid = pidOf(line);
    if (pid === undefined || pid === supervisor) return false;
    child ??= pid;
    if (pid === child && !childExeced) childExeced = /^\d+<[^>]*> \[\s*\d+\] execve\(/.test(line);
    return pid !== child || childExeced;
  });
  const strace = await ingest(
    { name: 'trace', stream: Readable.from([Buffer.from(kept.join('\n') + '\n')]) },
    { host: 'x86_64' },
  );
  const obs = new Observation('x86_64', resolveSymbol);
  const d = new NotifyDecoder(records);
  d.push(readFileSync(records), (c) => {
    obs.addNotified(c, 'seccomp');
  });
  expect(d.finish()).toBeUndefined();
  return { strace, seccomp: toEvidence(obs), stdout: r.stdout, status: r.status };
}

describe.runIf(enabled)('record --via seccomp against --via strace', () => {
  test.each(WORKLOADS)(
    '$name, one execution seen by both: the same syscalls per ABI and argument facts',
    async (w) => {
      const both = await bothRecorders(w.argv);
      expect(both.status).toBe(0);
      expect(both.stdout).toMatch(w.expect);
      const named = new Set(PRINCIPLED_DIFFERENCES.map((d) => d.syscall));
      const drop = (list: string[]): string[] =>
        list.filter((k) => !named.has(k.slice(k.indexOf(':') + 1)));
      expect(drop(syscallSet(both.seccomp))).toEqual(drop(syscallSet(both.strace)));
      expect(argumentFacts(both.seccomp)).toEqual(argumentFacts(both.strace));
      // So the profiles generated from either allow the same calls.
      const allowed = (e: Evidence): string[] =>
        generateProfile(e)
          .syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW')
          .flatMap((r) => r.names)
          .sort();
      expect(allowed(both.seccomp)).toEqual(allowed(both.strace));
    },
    120_000,
  );

  test.each(WORKLOADS)(
    '$name: record --via seccomp runs it and says what it cannot see',
    async (w) => {
      const r = await record({ argv: w.argv, host: 'x86_64', stdio: 'pipe', ...seccomp });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(w.expect);
      expect(r.evidence.totals.calls).toBeGreaterThan(100);
      expect(r.evidence.meta.recorder).toBe('seccomp');
      expect(r.evidence.meta.unseen).toEqual(SECCOMP_UNSEEN);
      expect(r.evidence.syscalls.filter((s) => Object.keys(s.errors).length > 0)).toEqual([]);
      expect(r.evidence.meta.provenance?.[0]?.tools.strace).toBeUndefined();
    },
    120_000,
  );
});

describe.runIf(enabled)('the notifrec helper', () => {
  test.each([
    ['an exit status', ['/bin/sh', '-c', 'exit 7'], 7, undefined],
    ['a killing signal', ['/bin/sh', '-c', 'kill -TERM $$'], 143, 'SIGTERM'],
  ])('forwards %s', async (_name, argv, exitCode, signal) => {
    const r = await record({ argv, host: 'x86_64', stdio: 'pipe', ...seccomp });
    expect(r.exitCode).toBe(exitCode);
    expect(r.signal).toBe(signal);
    expect(r.evidence.syscalls.map((s) => s.name)).toContain('execve');
  });

  test('threads and children inherit the filter, a child that outlives the command included', async () => {
    const r = await record({
      argv: ['/bin/sh', '-c', '(sleep 0.3; /bin/true) & exit 0'],
      host: 'x86_64',
      stdio: 'pipe',
      ...seccomp,
    });
    expect(r.exitCode).toBe(0);
    const execve = r.evidence.syscalls.find((s) => s.name === 'execve');
    expect(execve?.count).toBe(3); // sh, sleep, true
    // An execve is made by the program before it (notifrec reads /proc at the call); later calls are the new one's.
    const exits = r.evidence.syscalls.find((s) => s.name === 'exit_group');
    expect(exits?.processes).toEqual(expect.arrayContaining(['sh', 'sleep', 'true']));
    expect(exits?.executables).toEqual(
      expect.arrayContaining(['/usr/bin/dash', '/usr/bin/sleep', '/usr/bin/true']),
    );
  });

  test('a base set given with -a runs unnotified, so it is absent from the records', () => {
    const getpid = syscallNumber('x86_64', 'getpid');
    if (getpid === undefined) throw new Error('no getpid');
    const py = ['/usr/bin/python3', '-c', 'import os\nfor _ in range(50): os.getpid()'];
    const count = (calls: NotifiedCall[]): number => calls.filter((c) => c.nr === getpid).length;
    expect(count(runHelper([], py))).toBeGreaterThanOrEqual(50);
    expect(count(runHelper(['-a', String(getpid)], py))).toBe(0);
  });

  test('refuses nothing: a failing call fails as it would, with its own errno, and is recorded', () => {
    const openat = syscallNumber('x86_64', 'openat');
    const calls = runHelper(
      [],
      [
        '/usr/bin/python3',
        '-c',
        'import os\ntry: os.open("/nonexistent", 0)\nexcept FileNotFoundError: print("ENOENT")',
      ],
    );
    expect(calls.stdout).toBe('ENOENT\n');
    expect(calls.some((c) => c.nr === openat)).toBe(true);
  });
});

describe.runIf(dockerEnabled)('record --via seccomp --docker', () => {
  test('records the workload inside the container from its execve on, as strace does', async () => {
    const argv = [
      '/usr/bin/python3',
      '-c',
      'import socket; socket.socket(socket.AF_UNIX).close(); print("in container")',
    ];
    const docker = { image: DEFAULT_IMAGE, runArgs: dockerSandboxArgs({}) };
    const byStrace = await record({ argv, host: 'x86_64', stdio: 'pipe', docker });
    const bySeccomp = await record({ argv, host: 'x86_64', stdio: 'pipe', docker, ...seccomp });
    for (const r of [byStrace, bySeccomp]) {
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('in container');
    }
    expect(bySeccomp.evidence.syscalls.find((s) => s.name === 'execve')?.firstSeen.line).toBe(1);
    expect(syscallSet(bySeccomp.evidence)).toEqual(syscallSet(byStrace.evidence));
    expect(argumentFacts(bySeccomp.evidence)).toEqual(argumentFacts(byStrace.evidence));
  }, 180_000);
});
