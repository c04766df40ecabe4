import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { archForAudit, syscallName } from '../arch/index.js';
import { buildPlan } from '../compile/build.js';
import { criticalSyscalls } from '../kb/index.js';
import type { Profile } from '../profile/types.js';
import { resolveProfile } from '../profile/resolve.js';
import {
  hasViolations,
  MAX_GROUPS,
  suggestedAllow,
  ViolationCollector,
  type ViolationFilter,
  type ViolationReport,
} from './violations.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECCOMP = join(ROOT, 'test/fixtures/corpus/traces/seccomp');
const KERNLOG = join(ROOT, 'test/fixtures/kernlog');

function analyse(text: string, filter: ViolationFilter = {}, profile?: Profile): ViolationReport {
  const c = new ViolationCollector(filter);
  text.split('\n').forEach((l, i) => {
    c.push(l, 'log', i + 1);
  });
  if (profile === undefined) return c.report();
  const r = resolveProfile(profile, { arch: 'x86_64', caps: [], kernel: { major: 6, minor: 1 } });
  if (r === null) throw new Error('seccomp off');
  return c.report(buildPlan(r, { arch: 'x86_64', libseccomp: '2.5.4' }));
}

/** A record as dmesg prints it. */
const rec = (o: {
  serial: number;
  nr: number;
  code: string;
  comm?: string;
  arch?: string;
  t?: number;
}): string =>
  `[ 1100.14${o.serial}] audit: type=1326 audit(${o.t ?? 1795453800}.709:${o.serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10098 comm="${o.comm ?? 'app'}" exe="/usr/bin/${o.comm ?? 'app'}" sig=0 arch=${o.arch ?? 'c000003e'} syscall=${o.nr} compat=0 ip=0x7fdc8af92b07 code=${o.code}`;

/** Independent oracle: lines holding a record, by the marker alone. */
const recordLines = (text: string): string[] =>
  text.split('\n').filter((l) => /type=(?:1326|SECCOMP) |audit\[\d+\]: SECCOMP /.test(l));

describe('ViolationCollector on real logs', () => {
  const files = [
    ...readdirSync(SECCOMP)
      .filter((f) => f.endsWith('.txt') || f.endsWith('.log'))
      .filter((f) => f !== 'ausearch-csv.txt')
      .map((f) => join(SECCOMP, f)),
    ...['dmesg.txt', 'dmesg-T.txt', 'kmsg.txt'].map((f) => join(KERNLOG, f)),
  ];
  test.each(files)('%s: every record counted, every other line counted, groups sum up', (file) => {
    const text = readFileSync(file, 'utf8');
    const r = analyse(text);
    const want = recordLines(text).length;
    expect(r.records + r.warnings.length).toBe(want);
    expect(r.groups.reduce((n, g) => n + g.count, 0)).toBe(r.records);
    expect(r.otherLines).toBe(text.split('\n').length - want);
    for (const g of r.groups) expect(g.abi, g.syscall).toBeDefined();
  });

  test('names come from each record own arch (i386 numbers on an x86_64 host)', () => {
    const text = readFileSync(join(SECCOMP, 'dmesg-docker-arch.txt'), 'utf8');
    const r = analyse(text);
    // Oracle: arch token and number of each record, named with the arch layer.
    for (const l of recordLines(text)) {
      const m = /arch=([0-9a-f]+) syscall=(\d+)/.exec(l);
      const abi = archForAudit(parseInt(m?.[1] ?? '', 16), Number(m?.[2]));
      const name = abi && syscallName(abi.name, Number(m?.[2]));
      expect(r.groups.some((g) => g.abi === abi?.name && g.syscall === name)).toBe(true);
    }
    expect(r.groups.find((g) => g.comm === 'hello32')).toMatchObject({
      abi: 'x86',
      syscall: 'write',
      action: 'KILL_THREAD',
    });
    const exit = analyse(rec({ serial: 1, nr: 1, code: '0x0', arch: '40000003' }));
    expect(exit.groups[0]).toMatchObject({ abi: 'x86', syscall: 'exit' });
  });

  test('suppressed records are summed from the kernel rate-limit lines', () => {
    const text = readFileSync(join(KERNLOG, 'dmesg.txt'), 'utf8');
    const want = [...text.matchAll(/kauditd_printk_skb: (\d+) callbacks suppressed/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(want).toBeGreaterThan(0);
    expect(analyse(text).suppressed).toBe(want);
  });

  test('ausearch -i records (decoded names, local times) are grouped too', () => {
    const r = analyse(readFileSync(join(SECCOMP, 'ausearch-i.txt'), 'utf8'));
    expect(r.records).toBe(22);
    expect(new Set(r.groups.map((g) => g.action))).toEqual(
      new Set(['LOG', 'ERRNO', 'TRACE', 'KILL_PROCESS', 'TRAP', 'USER_NOTIF']),
    );
    expect(r.groups.every((g) => g.firstMs !== undefined)).toBe(true);
  });
});

describe('grouping, times and filters', () => {
  const log = [
    'usb 1-1: new high-speed USB device',
    rec({ serial: 1, nr: 165, code: '0x50000', t: 1000 }),
    rec({ serial: 2, nr: 165, code: '0x50000', t: 1005 }),
    rec({ serial: 3, nr: 0, code: '0x7ffc0000', comm: 'nginx', t: 1010 }),
    rec({ serial: 4, nr: 101, code: '0x80000000', comm: 'nginx', t: 1020 }),
    'random: crng init done',
  ].join('\n');

  test('groups by process x syscall x action, with counts and first/last time', () => {
    const r = analyse(log);
    expect(r.records).toBe(4);
    expect(r.otherLines).toBe(2);
    expect(r.groups.map((g) => [g.comm, g.syscall, g.action, g.count])).toEqual([
      ['app', 'mount', 'ERRNO', 2],
      ['nginx', 'ptrace', 'KILL_PROCESS', 1],
      ['nginx', 'read', 'LOG', 1],
    ]);
    expect(r.groups[0]).toMatchObject({ firstMs: 1_000_709, lastMs: 1_005_709 });
    expect(hasViolations(r, false)).toBe(true);
  });

  test.each<[ViolationFilter, number]>([
    [{ sinceMs: 1_005_000 }, 3],
    [{ untilMs: 1_005_709 }, 2],
    [{ sinceMs: 1_001_000, untilMs: 1_011_000 }, 2],
    [{ comm: ['nginx'] }, 2],
    [{ comm: ['/usr/bin/app'] }, 2],
    [{ action: ['KILL_PROCESS', 'ERRNO'] }, 3],
    [{ container: ['web'] }, 0],
  ])('filter %j keeps %d records', (filter, n) => {
    const r = analyse(log, filter);
    expect(r.groups.reduce((a, g) => a + g.count, 0)).toBe(n);
    expect(r.filtered).toBe(4 - n);
  });

  test('no record: no violation', () => {
    const r = analyse('a\nb\n');
    expect(r.groups).toEqual([]);
    expect(hasViolations(r, false)).toBe(false);
  });

  test('memory stays bounded: groups past the cap are counted, not kept', () => {
    const c = new ViolationCollector();
    for (let i = 0; i < MAX_GROUPS + 50; i++)
      c.push(rec({ serial: i, nr: 0, code: '0x7ffc0000', comm: `p${i}` }), 'log', i + 1);
    const r = c.report();
    expect(r.groups).toHaveLength(MAX_GROUPS);
    expect(r.overflow).toBe(50);
    expect(hasViolations(r, false)).toBe(true);
  });

  test('property: a log cut anywhere never throws and never invents records', () => {
    fc.assert(
      fc.property(fc.nat({ max: log.length }), fc.nat({ max: log.length }), (a, b) => {
        const cut = log.slice(Math.min(a, b), Math.max(a, b));
        const r = analyse(cut);
        expect(r.records + r.warnings.length).toBeLessThanOrEqual(recordLines(cut).length);
        const names = new Set(analyse(log).groups.map((g) => g.syscall));
        // A cut number (syscall=16 from 165) may name another call, but only in the cut line.
        if (r.records === recordLines(cut).length && !cut.startsWith(' '))
          for (const g of r.groups) if (g.count > 1) expect(names.has(g.syscall)).toBe(true);
      }),
    );
  });
});

describe('with a profile', () => {
  const profile: Profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], pointer: '/syscalls/0' },
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }],
        pointer: '/syscalls/1',
      },
    ],
  };
  const log = [
    rec({ serial: 1, nr: 0, code: '0x7ffc0000' }), // read: allowed by rule 0
    rec({ serial: 2, nr: 110, code: '0x7ffc0000' }), // getppid: default refuses
    rec({ serial: 3, nr: 165, code: '0x7ffc0000' }), // mount: critical
    rec({ serial: 4, nr: 135, code: '0x7ffc0000' }), // personality: on arguments
    rec({ serial: 5, nr: 1, code: '0x0', arch: '40000003' }), // i386 exit: arch not covered
  ].join('\n');

  test('each group: the deciding rule, the risk and the smallest change', () => {
    const r = analyse(log, {}, profile);
    const by = new Map(r.groups.map((g) => [`${g.abi ?? ''}/${g.syscall}`, g]));
    expect(by.get('x86_64/read')?.verdict).toMatchObject({
      runs: true,
      origin: { kind: 'rule', pointer: '/syscalls/0' },
      change: { kind: 'none' },
    });
    expect(by.get('x86_64/getppid')?.verdict).toMatchObject({
      action: 'ERRNO(1) EPERM',
      runs: false,
      origin: { kind: 'default' },
      change: { kind: 'allow', rule: { names: ['getppid'], action: 'SCMP_ACT_ALLOW' } },
    });
    expect(criticalSyscalls()).toContain('mount');
    expect(by.get('x86_64/mount')?.verdict?.change.kind).toBe('never-allow');
    expect(by.get('x86_64/mount')?.risk.level).toBe('critical');
    expect(by.get('x86_64/personality')?.verdict).toMatchObject({
      onArguments: true,
      change: { kind: 'check-arguments' },
    });
    expect(by.get('x86/exit')?.verdict).toMatchObject({
      runs: false,
      origin: { kind: 'bad-arch' },
      change: { kind: 'add-arch', architecture: 'SCMP_ARCH_X86' },
    });
    expect(suggestedAllow(r.groups)).toEqual({
      names: ['getppid'],
      action: 'SCMP_ACT_ALLOW',
    });
    expect(hasViolations(r, true)).toBe(true);
  });

  test('every call the profile lets run: no violation', () => {
    const r = analyse(rec({ serial: 1, nr: 0, code: '0x7ffc0000' }), {}, profile);
    expect(hasViolations(r, true)).toBe(false);
  });
});
