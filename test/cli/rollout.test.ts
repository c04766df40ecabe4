import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { syscallNumber } from '../../src/arch/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-rollout-'));
const PROFILE = join(dir, 'app.json');
writeFileSync(
  PROFILE,
  JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      {
        names: ['read', 'write', 'exit_group', 'execve', 'brk', 'close'],
        action: 'SCMP_ACT_ALLOW',
      },
    ],
  }),
);

/** A dmesg record of `name` with outcome `code`, stamped now (+ `dt` ms). */
function rec(name: string, code: string, serial: number, dt = 1000): string {
  const t = ((Date.now() + dt) / 1000).toFixed(3);
  return `[ 1.0] audit: type=1326 audit(${t}:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=77 comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=${syscallNumber('x86_64', name)} compat=0 ip=0x1 code=${code}`;
}

function log(name: string, lines: readonly string[]): string {
  const f = join(dir, name);
  writeFileSync(f, ['unrelated line', ...lines, ''].join('\n'));
  return f;
}

/** `sysgate rollout VERB --state STATE ARGS...`. */
const rollout = (verb: string, state: string, ...args: string[]): ReturnType<typeof runCli> =>
  runCli(['rollout', verb, '--state', state, ...args]);

const events = (state: string): { event: string }[] =>
  readFileSync(join(state, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string });

describe('sysgate rollout', () => {
  test('start writes the twin, the copy, the state and the first event; a second start is refused', async () => {
    const state = join(dir, 's1');
    const r = await runCli(['rollout', 'start', PROFILE, '--state', state, '--window', '0s']);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['rollout.json', 'profile.json', 'phase-a.json', 'log.jsonl'])
      expect(existsSync(join(state, f)), f).toBe(true);
    const twin = JSON.parse(readFileSync(join(state, 'phase-a.json'), 'utf8')) as {
      defaultAction: string;
      flags: string[];
    };
    expect(twin.defaultAction).toBe('SCMP_ACT_LOG');
    expect(twin.flags).toContain('SECCOMP_FILTER_FLAG_LOG');
    expect(events(state).map((e) => e.event)).toEqual(['start']);
    const again = await runCli(['rollout', 'start', PROFILE, '--state', state]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already here');
  });

  test('bad window, bad --critical, no evidence, no rollout: exit 2', async () => {
    const state = join(dir, 's2');
    expect(
      (await runCli(['rollout', 'start', PROFILE, '--state', state, '--window', '7'])).code,
    ).toBe(2);
    expect(existsSync(join(state, 'rollout.json'))).toBe(false);
    expect(
      (await runCli(['rollout', 'start', PROFILE, '--state', state, '--critical', 'x'])).code,
    ).toBe(2);
    expect(
      (await runCli(['rollout', 'status', '--state', join(dir, 'none'), '--from', PROFILE])).code,
    ).toBe(2);
    await runCli(['rollout', 'start', PROFILE, '--state', state]);
    const r = await rollout('status', state);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--from LOG');
  });

  test('status -> promote refused (critical refused) -> accepted -> B -> C, all in the log', async () => {
    const state = join(dir, 's3');
    expect(
      (await runCli(['rollout', 'start', PROFILE, '--state', state, '--window', '0s'])).code,
    ).toBe(0);
    const a = log('a.log', [
      rec('execve', '0x7ffc0000', 1),
      rec('getpid', '0x7ffc0000', 2),
      rec('mount', '0x50001', 3),
    ]);
    const st = await rollout('status', state, '--from', a);
    expect(st.code, st.stderr).toBe(1);
    expect(st.stdout).toContain('gate: NOT YET');
    expect(st.stdout).toMatch(/critical mount refused/);
    expect(st.stdout).toMatch(/getpid logged outside the profile/);

    const refused = await rollout('promote', state, '--from', a, '--accept', 'getpid');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('promotion refused');
    const accepting = ['--from', a, '--accept', 'getpid', '--accept-critical', 'mount'];
    const critNoReason = await rollout('promote', state, ...accepting);
    expect(critNoReason.code).toBe(2);

    const b = await rollout(
      'promote',
      state,
      ...accepting,
      '--reason',
      'mounts its tmpfs at start',
    );
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toContain('phase A -> B');
    expect(b.stdout).toContain('--security-opt seccomp=');
    expect(b.stderr).toMatch(/accepted getpid: \w+ risk/);
    expect(readFileSync(join(state, 'phase-b.json'), 'utf8')).toContain(
      'reason: mounts its tmpfs at start',
    );

    // Phase B: the records of phase A are older than the phase; only a heartbeat is new.
    const bl = log('b.log', [rec('execve', '0x7ffc0000', 9, 5000)]);
    const c = await rollout('promote', state, '--from', a, bl, '--json');
    expect(c.code, c.stderr).toBe(0);
    expect((JSON.parse(c.stdout) as { state: { phase: string } }).state.phase).toBe('C');
    expect(events(state).map((e) => e.event)).toEqual(['start', 'refused', 'promote', 'promote']);
    const done = await rollout('promote', state, '--from', bl);
    expect(done.code).toBe(2);

    const m = await rollout('manifests', state, '--name', 'app');
    expect(m.code, m.stderr).toBe(0);
    for (const p of ['a', 'b', 'c']) expect(m.stdout).toContain(`name: app-phase-${p}`);
  });

  test('status reads a monitor /metrics', async () => {
    const state = join(dir, 's4');
    await runCli(['rollout', 'start', PROFILE, '--state', state, '--window', '0s']);
    const body = [
      '# HELP seccomp_violations_total Seccomp records.',
      '# TYPE seccomp_violations_total counter',
      'seccomp_violations_total{container="web",image="app:1",profile="phase-a",syscall="execve",arch="x86_64",action="LOG"} 3',
      'seccomp_violations_total{container="web",image="app:1",profile="phase-a",syscall="getpid",arch="x86_64",action="LOG"} 2',
      'seccomp_monitor_records_lost_total{source="netlink"} 0',
      '',
    ].join('\n');
    const server = createServer((_q, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const r = await rollout('status', state, '--monitor', url, '--json');
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as {
        gate: { observed: { records: number }; acceptable: { name: string }[] };
      };
      expect(j.gate.observed.records).toBe(5);
      expect(j.gate.acceptable.map((x) => x.name)).toEqual(['getpid']);
    } finally {
      server.close();
    }
    const down = await rollout('status', state, '--monitor', 'http://127.0.0.1:1/metrics');
    expect(down.code).toBe(3);
  });
});
