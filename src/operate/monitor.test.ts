import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { buildPlan } from '../compile/build.js';
import { resolveProfile } from '../profile/resolve.js';
import type { Profile } from '../profile/types.js';
import { Monitor, OVERFLOW_LABEL, stampAfter, type ExplainedRecord } from './monitor.js';
import { groupsFromMetrics, parseMetrics } from './rollout-metrics.js';

const HOST = { arch: 'x86_64' as const, caps: [], kernel: { major: 6, minor: 1 } };
const ID = 'a1b2c3d4e5f6'.repeat(5) + 'a1b2';

/** A record as the netlink helper and auditd print it. */
const rec = (serial: number, nr: number, code: string, pid = 4242, ms = 100): string =>
  `type=1326 msg=audit(1796590451.${String(ms).padStart(3, '0')}:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=${pid} comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x41a664 code=${code}`;

/** A /proc with one process in a Docker container and one on the host. */
function fakeProc(): string {
  const proc = mkdtempSync(join(tmpdir(), 'sg-mon-proc-'));
  mkdirSync(join(proc, '4242'));
  writeFileSync(join(proc, '4242/cgroup'), `12:pids:/docker/${ID}\n0::/docker/${ID}\n`);
  mkdirSync(join(proc, '77'));
  writeFileSync(join(proc, '77/cgroup'), '0::/user.slice/user-0.slice/session-1.scope\n');
  return proc;
}

const ENFORCING: Profile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    {
      names: ['read', 'write', 'exit_group'],
      action: 'SCMP_ACT_ALLOW',
      args: [],
      pointer: '/syscalls/0',
    },
  ],
};

function plan(p: Profile) {
  const r = resolveProfile(p, HOST);
  if (r === null) throw new Error('seccomp off');
  return buildPlan(r, { arch: 'x86_64', libseccomp: '2.5.4' });
}

async function metrics(m: Monitor): Promise<ReturnType<typeof parseMetrics>> {
  await m.idle();
  return parseMetrics(await m.registry.metrics(), 'monitor');
}

describe('Monitor', () => {
  test('counts per container, syscall and action; host processes have no container', async () => {
    const out: ExplainedRecord[] = [];
    const m = new Monitor({
      source: 'netlink',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      onRecord: (r) => out.push(r),
    });
    for (let i = 0; i < 5; i++) m.line(rec(100 + i, 165, '0x50000'));
    for (let i = 0; i < 3; i++) m.line(rec(200 + i, 110, '0x7ffc0000'));
    m.line(rec(300, 110, '0x7ffc0000', 77));
    m.line('type=SYSCALL msg=audit(1796590451.100:400): arch=c000003e syscall=59'); // not seccomp
    const s = await metrics(m);
    const v = s
      .filter((x) => x.name === 'seccomp_violations_total')
      .map((x) => [x.labels.container, x.labels.syscall, x.labels.action, x.value]);
    expect(v).toEqual([
      [ID.slice(0, 12), 'mount', 'ERRNO', 5],
      [ID.slice(0, 12), 'getppid', 'LOG', 3],
      ['', 'getppid', 'LOG', 1],
    ]);
    expect(out).toHaveLength(9);
    expect(out[0]?.container).toEqual({
      container: ID.slice(0, 12),
      containerId: ID.slice(0, 12),
      runtime: 'docker',
      image: '',
    });
    expect(m.stamp).toEqual({ timeMs: 1796590451100, serial: 300 });
    // rollout reads the same exposition back as violation groups.
    const g = groupsFromMetrics(s, 'monitor');
    expect(g.groups.map((x) => [x.syscall, x.action, x.count])).toEqual([
      ['mount', 'ERRNO', 5],
      ['getppid', 'LOG', 3],
      ['getppid', 'LOG', 1],
    ]);
    expect(g.lost).toBe(0);
  });

  test('a record of a process already gone is attributed through its parent (process events)', async () => {
    const out: ExplainedRecord[] = [];
    const m = new Monitor({
      source: 'netlink',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      onRecord: (r) => out.push(r),
    });
    m.fork(4242, 5000); // 5000 has no /proc entry: killed and reaped
    m.fork(5000, 5001);
    m.line(rec(1, 165, '0x80000000', 5001));
    m.line(rec(2, 165, '0x80000000', 6000)); // no parent known: not attributed
    await m.idle();
    expect(out.map((r) => [r.pid, r.container?.containerId])).toEqual([
      [5001, ID.slice(0, 12)],
      [6000, undefined],
    ]);
  });

  test('a record whose process is gone when counted is attributed through the cgroup its source read as it arrived', async () => {
    const out: ExplainedRecord[] = [];
    const m = new Monitor({
      source: 'netlink',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      onRecord: (r) => out.push(r),
    });
    // 7000 ran in the container, made its calls and exited before the monitor got to them.
    m.cgroup(7000, `12:pids:/docker/${ID}\n0::/`);
    m.cgroup(7001, '0::/user.slice/user-0.slice/session-1.scope'); // a host process: nothing kept
    m.line(rec(1, 140, '0x7ffc0000', 7000));
    m.line(rec(2, 140, '0x7ffc0000', 7001));
    await m.idle();
    expect(out.map((r) => [r.pid, r.container?.containerId])).toEqual([
      [7000, ID.slice(0, 12)],
      [7001, undefined],
    ]);
  });

  test("a container gone before its lookup (--rm) keeps the name and image its engine's event gave", async () => {
    const out: ExplainedRecord[] = [];
    const m = new Monitor({
      source: 'auditd',
      host: HOST,
      sockets: [], // no engine answers: the container is gone
      proc: fakeProc(),
      onRecord: (r) => out.push(r),
    });
    m.started(ID, 'docker', { name: 'web', image: 'nginx:1.27' });
    m.started(ID, 'docker', { name: 'other', image: 'other' }); // its start event: looked up already
    m.line(rec(1, 140, '0x7ffc0000'));
    await m.idle();
    expect(out.map((r) => [r.container?.container, r.container?.image])).toEqual([
      ['web', 'nginx:1.27'],
    ]);
  });

  describe('a process known in a container, read again after the cache time (30 s)', () => {
    /** The cgroup and stat of pid 4242 changed to `cgroup`/`stat`, 31 s after it was first read. */
    async function later(cgroup: string, stat: string | undefined): Promise<ExplainedRecord[]> {
      const proc = fakeProc();
      const out: ExplainedRecord[] = [];
      const m = new Monitor({
        source: 'netlink',
        host: HOST,
        lookup: false,
        proc,
        onRecord: (r) => out.push(r),
      });
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        m.fork(4242, 5000); // 5000: a killed child, reaped
        m.line(rec(1, 165, '0x80000000', 5000));
        vi.setSystemTime(Date.now() + 31_000);
        if (stat === undefined) rmSync(join(proc, '4242'), { recursive: true });
        else {
          writeFileSync(join(proc, '4242/cgroup'), cgroup);
          writeFileSync(join(proc, '4242/stat'), stat);
        }
        m.fork(4242, 5001);
        m.line(rec(2, 165, '0x80000000', 5001));
        await m.idle();
      } finally {
        vi.useRealTimers();
      }
      return out;
    }
    const root = '12:pids:/\n4:memory:/\n0::/\n'; // cgroup v1 shows an exiting process at the root

    test.each([
      ['a zombie: still its container', '4242 (app) Z 1 1 1 0 -1 4194308 0', ID.slice(0, 12)],
      [
        'exiting (PF_EXITING): still its container',
        '4242 (a) b) R 1 1 1 0 -1 4194308 0',
        ID.slice(0, 12),
      ],
      [
        'a live host process (pid reused): no container',
        '4242 (sh) S 1 1 1 0 -1 4194560 0',
        undefined,
      ],
    ])('%s', async (_, stat, want) => {
      const out = await later(root, stat);
      expect(out.map((r) => [r.pid, r.container?.containerId])).toEqual([
        [5000, ID.slice(0, 12)],
        [5001, want],
      ]);
    });

    test('gone: still its container', async () => {
      const out = await later(root, undefined); // no /proc/4242: the process is gone
      expect(out.map((r) => r.container?.containerId)).toEqual([ID.slice(0, 12), ID.slice(0, 12)]);
    });
  });

  test('explains each record with the profile: the rule, the smallest change', async () => {
    const out: ExplainedRecord[] = [];
    const m = new Monitor({
      source: 'auditd',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      profile: { label: 'app.json', plan: plan(ENFORCING) },
      onRecord: (r) => out.push(r),
    });
    m.line(rec(1, 165, '0x7ffc0000'));
    m.line(rec(2, 110, '0x7ffc0000'));
    m.line(rec(3, 1, '0x7ffc0000'));
    await m.idle();
    expect(
      out.map((r) => [r.syscall, r.profile, r.verdict?.action, r.verdict?.change.kind]),
    ).toEqual([
      ['mount', 'app.json', 'ERRNO(1) EPERM', 'never-allow'],
      ['getppid', 'app.json', 'ERRNO(1) EPERM', 'allow'],
      ['write', 'app.json', 'ALLOW', 'none'],
    ]);
    const labels = (await metrics(m))
      .filter((x) => x.name === 'seccomp_violations_total')
      .map((x) => x.labels.profile);
    expect(new Set(labels)).toEqual(new Set(['app.json']));
  });

  test('a record is counted once: the same serial again, or not after the saved stamp', async () => {
    const m = new Monitor({
      source: 'auditd',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      resumeAfter: { timeMs: 1796590451100, serial: 11 },
    });
    m.line(rec(10, 110, '0x7ffc0000')); // before the saved stamp
    m.line(rec(11, 110, '0x7ffc0000')); // the saved one
    m.line(rec(12, 110, '0x7ffc0000'));
    m.line(rec(12, 110, '0x7ffc0000')); // read twice (a rotated file read again)
    m.line(rec(5, 110, '0x7ffc0000', 4242, 200)); // later time, lower serial: after a reboot
    const s = await metrics(m);
    expect(s.find((x) => x.name === 'seccomp_violations_total')?.value).toBe(2);
    expect(m.counts).toMatchObject({ records: 2, duplicates: 3 });
    expect(m.stamp).toEqual({ timeMs: 1796590451200, serial: 5 });
  });

  test.each([
    [{ timeMs: 2, serial: 1 }, { timeMs: 1, serial: 9 }, true],
    [{ timeMs: 1, serial: 9 }, { timeMs: 1, serial: 8 }, true],
    [{ timeMs: 1, serial: 8 }, { timeMs: 1, serial: 8 }, false],
    [{ timeMs: 1, serial: 9 }, { timeMs: 2, serial: 1 }, false],
  ])('stampAfter(%o, %o) = %s', (a, b, want) => {
    expect(stampAfter(a, b)).toBe(want);
  });

  test('label cardinality: past the cap, one overflow series per action', async () => {
    const m = new Monitor({
      source: 'kmsg',
      host: HOST,
      lookup: false,
      proc: fakeProc(),
      maxSeries: 2,
      prefix: 'workspace_seccomp',
    });
    m.line(rec(1, 110, '0x7ffc0000'));
    m.line(rec(2, 39, '0x7ffc0000'));
    m.line(rec(3, 102, '0x7ffc0000'));
    m.line(rec(4, 104, '0x7ffc0000'));
    m.line(rec(5, 165, '0x80000000'));
    m.line(rec(6, 110, '0x7ffc0000')); // an existing series still counts in place
    m.lost(7);
    const s = await metrics(m);
    const v = s
      .filter((x) => x.name === 'workspace_seccomp_violations_total')
      .map((x) => [x.labels.container, x.labels.syscall, x.labels.action, x.value]);
    expect(v).toEqual([
      [ID.slice(0, 12), 'getppid', 'LOG', 2],
      [ID.slice(0, 12), 'getpid', 'LOG', 1],
      [OVERFLOW_LABEL, OVERFLOW_LABEL, 'LOG', 2],
      [OVERFLOW_LABEL, OVERFLOW_LABEL, 'KILL_PROCESS', 1],
    ]);
    expect(s.find((x) => x.name === 'workspace_seccomp_monitor_series')?.value).toBe(2);
    expect(
      s.find((x) => x.name === 'workspace_seccomp_monitor_records_lost_total')?.labels,
    ).toEqual({ source: 'kmsg' });
    expect(groupsFromMetrics(s, 'm', { prefix: 'workspace_seccomp' }).lost).toBe(7);
    expect(m.counts.overflow).toBe(3);
  });

  test('the lost counter is exported at 0 before any loss', async () => {
    const m = new Monitor({ source: 'netlink', host: HOST, lookup: false });
    const s = await metrics(m);
    expect(
      s.filter((x) => x.name.startsWith('seccomp_monitor_')).map((x) => [x.name, x.value]),
    ).toEqual([
      ['seccomp_monitor_records_lost_total', 0],
      ['seccomp_monitor_records_total', 0],
      ['seccomp_monitor_series', 0],
    ]);
  });
});
