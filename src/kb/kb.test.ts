import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { allSyscallNames } from '../arch/index.js';
import { DOCKER_DEFAULT } from './docker-data.js';
import {
  CATEGORY_LABELS,
  RISK_LEVELS,
  SYSCALL_CATEGORIES,
  capabilityFor,
  categoryOf,
  criticalSyscalls,
  dockerDefaultStatus,
  dockerStatusLabel,
  isKnownSyscall,
  knownSyscallNames,
  parseCategory,
  riskOf,
  syscallKb,
  syscallsByCategory,
  syscallsWithRisk,
  type DockerDefaultStatusKind,
} from './index.js';
import { SYSCALL_RISKS } from './risk-data.js';
import { SYSCALL_CAPS, SYSCALLS_BY_CATEGORY } from './syscalls-data.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MOBY_DEFAULT = resolve(
  repoRoot,
  'test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json',
);

describe('coverage', () => {
  test('every syscall name of the arch tables has an explicit entry', () => {
    const names = allSyscallNames();
    expect(names.length).toBeGreaterThan(400);
    expect(names.filter((n) => !isKnownSyscall(n))).toEqual([]);
  });

  test('every name is in exactly one category', () => {
    const seen = new Map<string, string[]>();
    for (const c of SYSCALL_CATEGORIES) {
      for (const n of Object.keys(SYSCALLS_BY_CATEGORY[c]))
        seen.set(n, [...(seen.get(n) ?? []), c]);
    }
    expect([...seen].filter(([, cs]) => cs.length > 1)).toEqual([]);
    expect(seen.size).toBe(knownSyscallNames().length);
  });

  test('the risk, capability and Docker tables only name known syscalls', () => {
    for (const table of [SYSCALL_RISKS, SYSCALL_CAPS, DOCKER_DEFAULT]) {
      expect(Object.keys(table).filter((n) => !isKnownSyscall(n))).toEqual([]);
    }
  });

  test('every description is one short line', () => {
    for (const n of knownSyscallNames()) {
      const d = syscallKb(n).description;
      expect(d.length, n).toBeGreaterThan(5);
      expect(d.length, n).toBeLessThanOrEqual(100);
      expect(d, n).not.toContain('\n');
    }
  });

  test('syscallsByCategory partitions the table', () => {
    const by = syscallsByCategory();
    expect(Object.keys(by).sort()).toEqual([...SYSCALL_CATEGORIES].sort());
    const all = Object.values(by).flat();
    expect(all.length).toBe(knownSyscallNames().length);
    expect(new Set(all).size).toBe(all.length);
    for (const c of SYSCALL_CATEGORIES) for (const n of by[c]) expect(categoryOf(n)).toBe(c);
  });

  test('unknown names get the defaults', () => {
    const kb = syscallKb('no_such_syscall');
    expect(kb).toMatchObject({ category: 'other', known: false, caps: [] });
    expect(kb.risk.level).toBe('info');
    expect(kb.docker.status).toBe('blocked');
  });
});

describe('categories', () => {
  test.each([
    ['openat', 'file-io'],
    ['clone', 'process'],
    ['mmap', 'memory'],
    ['socket', 'network'],
    ['clock_gettime', 'time'],
    ['rt_sigaction', 'signals'],
    ['epoll_wait', 'io-multiplexing'],
    ['shmget', 'ipc'],
    ['reboot', 'sysadmin'],
    ['finit_module', 'kernel-modules'],
    ['mount', 'namespaces-mounts'],
    ['ptrace', 'tracing-debugging'],
    ['keyctl', 'keyring'],
  ])('%s is %s', (name, category) => {
    expect(categoryOf(name)).toBe(category);
  });

  test.each([
    ['file-io', 'file-io'],
    ['file I/O', 'file-io'],
    ['I/O multiplexing', 'io-multiplexing'],
    ['Namespaces and Mounts', 'namespaces-mounts'],
    ['system administration', 'sysadmin'],
    ['nope', undefined],
  ])('parseCategory(%j)', (text, want) => {
    expect(parseCategory(text)).toBe(want);
  });

  test('labels', () => {
    expect(CATEGORY_LABELS['file-io']).toBe('file I/O');
    expect(CATEGORY_LABELS.ipc).toBe('IPC');
  });
});

describe('risk', () => {
  const mustBeCritical = [
    'mount',
    'umount2',
    'ptrace',
    'bpf',
    'unshare',
    'setns',
    'kexec_load',
    'kexec_file_load',
    'init_module',
    'finit_module',
    'delete_module',
    'pivot_root',
    'reboot',
    'swapon',
    'swapoff',
    'open_by_handle_at',
    'perf_event_open',
    'add_key',
    'keyctl',
    'request_key',
    'userfaultfd',
    'io_uring_setup',
    'io_uring_enter',
    'io_uring_register',
    'clone3',
    'fsconfig',
    'move_mount',
    'open_tree',
    'iopl',
    'ioperm',
  ];
  test.each(mustBeCritical)('the critical list contains %s', (name) => {
    expect(criticalSyscalls()).toContain(name);
  });

  test('the critical list holds critical and high syscalls only', () => {
    const list = criticalSyscalls();
    for (const n of list) expect(['critical', 'high']).toContain(riskOf(n).level);
    expect(list).not.toContain('read');
    expect(list).not.toContain('landlock_create_ruleset');
    expect(syscallsWithRisk('critical').every((n) => riskOf(n).level === 'critical')).toBe(true);
  });

  // Levels stated by the risk sources (docs/semantics.md#syscall-risk), checked here one by one.
  test.each([
    ['init_module', 'critical'],
    ['kexec_load', 'critical'],
    ['open_by_handle_at', 'critical'],
    ['bpf', 'critical'],
    ['io_uring_enter', 'critical'],
    ['unshare', 'critical'],
    ['setns', 'critical'],
    ['iopl', 'critical'],
    ['keyctl', 'high'],
    ['userfaultfd', 'high'],
    ['perf_event_open', 'high'],
    ['process_vm_writev', 'high'],
    ['kcmp', 'medium'],
    ['personality', 'medium'],
    ['modify_ldt', 'medium'],
    ['move_pages', 'medium'],
    ['mbind', 'medium'],
    ['settimeofday', 'medium'],
    ['syslog', 'medium'],
    ['vmsplice', 'medium'],
    ['uselib', 'medium'],
    ['madvise', 'low'],
    ['waitid', 'low'],
    ['ioctl', 'low'],
    ['memfd_create', 'low'],
    ['name_to_handle_at', 'low'],
    ['seccomp', 'info'],
    ['landlock_add_rule', 'info'],
    ['read', 'info'],
  ])('%s is %s', (name, level) => {
    expect(riskOf(name).level).toBe(level);
  });

  test('ptrace escalates to critical before 4.8', () => {
    expect(riskOf('ptrace').escalation).toEqual({ level: 'critical', when: 'kernel < 4.8' });
  });

  test('essential syscalls are flagged', () => {
    for (const n of ['madvise', 'ioctl', 'futex', 'splice', 'clone'])
      expect(riskOf(n).essential, n).toBe(true);
    expect(riskOf('bpf').essential).toBe(false);
  });

  test('CVE references are well formed and only where a reason is given', () => {
    for (const n of knownSyscallNames()) {
      const r = riskOf(n);
      expect(RISK_LEVELS).toContain(r.level);
      expect(r.reason.length).toBeGreaterThan(5);
      for (const cve of r.cves) expect(cve, n).toMatch(/^CVE-\d{4}-\d{4,}$/);
    }
    expect(riskOf('bpf').cves).toContain('CVE-2017-16995');
    expect(riskOf('splice').cves).toContain('CVE-2022-0847');
    expect(riskOf('keyctl').cves).toContain('CVE-2016-0728');
  });
});

describe('capabilities', () => {
  test.each([
    ['ptrace', 'CAP_SYS_PTRACE'],
    ['mount', 'CAP_SYS_ADMIN'],
    ['kexec_load', 'CAP_SYS_BOOT'],
    ['init_module', 'CAP_SYS_MODULE'],
    ['bpf', 'CAP_SYS_ADMIN'],
    ['bpf', 'CAP_BPF'],
    ['settimeofday', 'CAP_SYS_TIME'],
    ['open_by_handle_at', 'CAP_DAC_READ_SEARCH'],
    ['chroot', 'CAP_SYS_CHROOT'],
    ['acct', 'CAP_SYS_PACCT'],
  ])('%s is gated by %s', (name, cap) => {
    expect(capabilityFor(name)).toContain(cap);
  });

  test('read needs no capability', () => {
    expect(capabilityFor('read')).toEqual([]);
  });
});

/** One ALLOW/ERRNO rule of the moby profile, as far as the cross-check needs it. */
interface MobyRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: unknown[];
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

interface Expected {
  status: DockerDefaultStatusKind;
  caps: Set<string>;
  arches: Set<string>;
  minKernel?: string;
  errno?: number;
}

/** Classify every name of the moby default profile from its rules, independently of the kb data. */
function classifyMoby(): Map<string, Expected> {
  const profile = JSON.parse(readFileSync(MOBY_DEFAULT, 'utf8')) as { syscalls: MobyRule[] };
  const facts = new Map<
    string,
    {
      uncond: boolean;
      args: boolean;
      caps: Set<string>;
      arches: Set<string>;
      minKernel?: string;
      errno?: number;
    }
  >();
  for (const rule of profile.syscalls) {
    for (const name of rule.names) {
      const f = facts.get(name) ?? {
        uncond: false,
        args: false,
        caps: new Set<string>(),
        arches: new Set<string>(),
      };
      facts.set(name, f);
      if (rule.action !== 'SCMP_ACT_ALLOW') {
        if (rule.errnoRet !== undefined) f.errno = rule.errnoRet;
        continue;
      }
      const inc = rule.includes ?? {};
      const hasArgs = (rule.args ?? []).length > 0;
      if (hasArgs) f.args = true;
      else if (inc.caps) inc.caps.forEach((c) => f.caps.add(c));
      else if (inc.arches) inc.arches.forEach((a) => f.arches.add(a));
      else if (inc.minKernel !== undefined) f.minKernel = inc.minKernel;
      else if (!rule.excludes) f.uncond = true;
    }
  }
  const out = new Map<string, Expected>();
  for (const [name, f] of facts) {
    const status: DockerDefaultStatusKind = f.uncond
      ? 'allowed'
      : f.minKernel !== undefined
        ? 'kernel-gated'
        : f.args
          ? 'conditional-args'
          : f.caps.size > 0
            ? 'allowed-with-cap'
            : f.arches.size > 0
              ? 'arch-specific'
              : 'blocked';
    out.set(name, {
      status,
      caps: f.caps,
      arches: f.arches,
      ...(f.minKernel !== undefined ? { minKernel: f.minKernel } : {}),
      ...(f.errno !== undefined ? { errno: f.errno } : {}),
    });
  }
  return out;
}

describe('Docker default status against the moby profile in the corpus', () => {
  const moby = classifyMoby();

  test('the profile has the expected shape', () => {
    expect([...moby.values()].filter((e) => e.status === 'allowed').length).toBe(361);
  });

  test('every name of the profile is classified the same way', () => {
    const mismatches: string[] = [];
    for (const [name, want] of moby) {
      const got = dockerDefaultStatus(name);
      const same =
        got.status === want.status &&
        [...got.caps].sort().join() === [...want.caps].sort().join() &&
        [...got.arches].sort().join() === [...want.arches].sort().join() &&
        got.minKernel === want.minKernel &&
        got.errnoWhenDenied === want.errno;
      if (!same) mismatches.push(`${name}: kb ${dockerStatusLabel(got)} vs moby ${want.status}`);
    }
    expect(mismatches).toEqual([]);
  });

  test('every known name absent from the profile is blocked', () => {
    const wrong = knownSyscallNames().filter(
      (n) => !moby.has(n) && dockerDefaultStatus(n).status !== 'blocked',
    );
    expect(wrong).toEqual([]);
  });

  test('capabilityFor covers every cap the profile gates a syscall on', () => {
    const missing: string[] = [];
    for (const [name, want] of moby) {
      for (const cap of want.caps)
        if (!capabilityFor(name).includes(cap)) missing.push(`${name}:${cap}`);
    }
    expect(missing).toEqual([]);
  });

  // The syscalls the default profile never allows, even with caps (docs/semantics.md#moby-default-profile).
  test.each([
    'keyctl',
    'add_key',
    'request_key',
    'userfaultfd',
    'io_uring_setup',
    'io_uring_enter',
    'io_uring_register',
    'kexec_load',
    'kexec_file_load',
    'pivot_root',
    'swapon',
    'swapoff',
    'move_pages',
    'migrate_pages',
    'uselib',
    'ustat',
    'sysfs',
    '_sysctl',
    'nfsservctl',
    'get_kernel_syms',
    'vm86',
    'vm86old',
    'file_getattr',
    'listns',
  ])('%s is blocked with a reason', (name) => {
    const s = dockerDefaultStatus(name);
    expect(s.status).toBe('blocked');
    expect(s.reason.length).toBeGreaterThan(5);
  });

  test.each([
    ['clone3', 'allowed-with-cap(CAP_SYS_ADMIN)'],
    ['bpf', 'allowed-with-cap(CAP_SYS_ADMIN|CAP_BPF)'],
    ['ptrace', 'kernel-gated(>=4.8)'],
    ['socket', 'conditional-args'],
    ['arch_prctl', 'arch-specific(amd64,x32)'],
    ['read', 'allowed'],
    ['keyctl', 'blocked'],
  ])('label of %s', (name, label) => {
    expect(dockerStatusLabel(dockerDefaultStatus(name))).toBe(label);
  });
});
