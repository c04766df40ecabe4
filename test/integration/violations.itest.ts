/**
 * Real seccomp records on this kernel: an enforcing profile's audit twin (`convert --mode audit`) is
 * compiled by sysgate and loaded by `bwrap --seccomp` around a python3 that renames itself, calls
 * getppid twice and uname once (refused by the enforcing profile, so logged by the twin) and then
 * mount (critical: still killed by the twin). The kernel's records are read from the audit netlink
 * multicast group (native/auditnl, as `sysgate monitor --source netlink` reads them): every record,
 * whether or not an auditd is registered (then the kernel prints nothing to dmesg) and past printk's
 * rate limit, which other tests running at the same time exhaust. They are fed to `generate --from`
 * (LOG is need, the killed mount is not) and `violations --profile` (the enforcing profile's rule for
 * each group, the smallest change). bwrap loads the filter without SECCOMP_FILTER_FLAG_LOG, so only
 * LOG and KILL outcomes are recorded (actions_logged). The dmesg, journal and ausearch renderings of
 * the same records are read by the parsers' tests over real captured logs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test, vi } from 'vitest';
import { auditTwin } from '../../src/generate/twin.js';
import { generateProfile, ingest, splitOutcomes } from '../../src/generate/index.js';
import { ViolationCollector } from '../../src/operate/violations.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import type { Profile } from '../../src/profile/types.js';
import { runBwrap } from '../../src/run/engines/bwrap.js';
import { preparePolicy } from '../../src/run/suite-engine.js';
import { runCli } from '../cli/run-cli.js';
import { hasTool } from '../oracle/kernel.js';
import { kernelRecords } from './kernel-records.testkit.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');
const crunEnabled = process.env.CI === 'true' || (enabled && hasTool('crun'));

/** Run a python workload renamed to a fresh comm under `profile` on crun; the kernel's records of it. */
async function crunRecords(profile: object, tag: string, expected: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-viol-crun-'));
  const file = join(dir, 'p.json');
  writeFileSync(file, JSON.stringify(profile));
  const comm = `sg${tag}${process.pid % 10000}`;
  const code = `import ctypes, os\nl = ctypes.CDLL(None)\nl.prctl(15, b"${comm}", 0, 0, 0)\nos.getppid()\nl.mount(None, None, None, 0, None)\n`;
  const { records } = await kernelRecords(
    comm,
    async () => {
      const r = await runCli([
        'run',
        '--profile',
        file,
        '--engine',
        'crun',
        '--no-cwd',
        '--',
        'python3',
        '-c',
        code,
      ]);
      expect(r.code, r.stderr).toBe(0);
    },
    expected,
  );
  return records;
}

/** The enforcing profile: everything runs but getppid and uname (refused) and mount (killed). */
const ENFORCING: Profile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    {
      names: ['getppid', 'uname'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      args: [],
      pointer: '/syscalls/0',
    },
    { names: ['mount'], action: 'SCMP_ACT_KILL_PROCESS', args: [], pointer: '/syscalls/1' },
  ],
};

const WORKLOAD = (comm: string): string => `
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"${comm}", 0, 0, 0)
os.getppid(); os.uname(); os.getppid()
libc.mount(None, None, None, 0, None)
`;

describe.skipIf(!enabled)('real seccomp records (bwrap + the kernel log)', () => {
  test('audit twin under bwrap: exact records; generate and violations read them', async () => {
    const twin = auditTwin(ENFORCING).profile;
    expect(twin.syscalls.map((r) => [r.names, r.action])).toEqual([
      [['getppid', 'uname'], 'SCMP_ACT_LOG'],
      [['mount'], 'SCMP_ACT_KILL_PROCESS'],
    ]);
    const resolved = resolveProfile(twin, {
      arch: 'x86_64',
      caps: [],
      kernel: { major: 6, minor: 1 },
    });
    if (resolved === null) throw new Error('seccomp off');
    const policy = preparePolicy('twin', '', resolved, 'x86_64');

    const comm = `sgv${process.pid % 10000}`;
    const { records: lines } = await kernelRecords(
      comm,
      async () => {
        const run = await runBwrap({
          argv: ['python3', '-c', WORKLOAD(comm)],
          filter: policy.bpf,
          timeoutMs: 30_000,
        });
        // The twin killed the process at mount (SIGSYS), after the logged calls ran.
        expect(run.signal ?? run.exitCode, run.stderr).toBeTruthy();
      },
      4,
    );
    expect(lines, 'records of the run').toHaveLength(4);
    const text = lines.join('\n');

    // violations: exact counts per syscall and outcome, decided by the enforcing profile.
    const c = new ViolationCollector();
    lines.forEach((l, i) => {
      c.push(l, 'netlink', i + 1);
    });
    const enf = resolveProfile(ENFORCING, {
      arch: 'x86_64',
      caps: [],
      kernel: { major: 6, minor: 1 },
    });
    if (enf === null) throw new Error('seccomp off');
    const report = c.report(preparePolicy('enforcing', '', enf, 'x86_64').plans.docker);
    expect(
      report.groups.map((g) => [
        g.comm,
        g.abi,
        g.syscall,
        g.action,
        g.count,
        g.verdict?.change.kind,
      ]),
    ).toEqual([
      [comm, 'x86_64', 'getppid', 'LOG', 2, 'allow'],
      [comm, 'x86_64', 'mount', 'KILL_PROCESS', 1, 'never-allow'],
      [comm, 'x86_64', 'uname', 'LOG', 1, 'allow'],
    ]);
    expect(report.groups[0]?.verdict?.origin).toEqual({
      kind: 'rule',
      pointer: '/syscalls/0',
      name: 'getppid',
    });

    // generate: the logged calls are need, the killed mount is a refusal.
    const ev = await ingest(
      { name: 'netlink', stream: Readable.from([Buffer.from(text)]) },
      { host: 'x86_64' },
    );
    const { need, refusals } = splitOutcomes(ev);
    expect(need.syscalls.map((s) => [s.name, s.count])).toEqual([
      ['getppid', 2],
      ['uname', 1],
    ]);
    expect(refusals.map((r) => [r.name, r.actions])).toEqual([['mount', { KILL_PROCESS: 1 }]]);
    const generated = generateProfile(ev, { mode: 'audit' });
    const allowed = generated.syscalls
      .filter((r) => r.action === 'SCMP_ACT_ALLOW')
      .flatMap((r) => r.names);
    expect(allowed).toEqual(expect.arrayContaining(['getppid', 'uname']));
    expect(allowed).not.toContain('mount');

    // The CLI on the same records, as `ausearch --raw | sysgate violations --profile P`.
    const dir = mkdtempSync(join(tmpdir(), 'sg-viol-it-'));
    const pfile = join(dir, 'enforcing.json');
    writeFileSync(
      pfile,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['getppid', 'uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          { names: ['mount'], action: 'SCMP_ACT_KILL_PROCESS' },
        ],
      }),
    );
    const stdin = vi
      .spyOn(process, 'stdin', 'get')
      .mockReturnValue(Readable.from([Buffer.from(text)]) as unknown as typeof process.stdin);
    try {
      const r = await runCli(['violations', '--profile', pfile, '--arch', 'x86_64']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /smallest change: add the rule \{"names":\["getppid","uname"\],"action":"SCMP_ACT_ALLOW"\}/,
      );
      expect(r.stderr).toMatch(/never allow: mount \(critical\)/);
    } finally {
      stdin.mockRestore();
    }
  }, 120_000);

  test.skipIf(!crunEnabled)(
    'SECCOMP_FILTER_FLAG_LOG on this kernel (crun): ERRNO refusals are recorded only with --log-refusals',
    async () => {
      const enforcing = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
          { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        ],
      };
      const dir = mkdtempSync(join(tmpdir(), 'sg-viol-twin-'));
      const file = join(dir, 'enforcing.json');
      writeFileSync(file, JSON.stringify(enforcing));
      const twinOf = async (extra: string[]): Promise<object> => {
        const r = await runCli(['convert', file, '--mode', 'audit', ...extra]);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as object;
      };
      const code = (l: string): string => /code=(0x[0-9a-f]+)/.exec(l)?.[1] ?? '';
      const plain = await crunRecords(await twinOf([]), 'p', 1);
      expect(plain.map(code)).toEqual(['0x7ffc0000']);
      const flagged = await crunRecords(await twinOf(['--log-refusals']), 'f', 2);
      expect(flagged.map(code)).toEqual(['0x7ffc0000', '0x50000']);
      expect(flagged[1]).toMatch(/ syscall=165 /);
    },
    120_000,
  );
});
