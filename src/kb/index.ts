/**
 * The syscall knowledge base: one source of truth for categories, descriptions, risk, gating capabilities
 * and Docker default-profile status, used by lint, generate, advise, doctor and the reports; and the home
 * of the moby facts (`moby/`: the embedded default profile, default caps, archMap, the container surface), the runtimes'
 * post-load syscalls (`runtimes.ts`) and the syscall equivalents (`equivalents.ts`).
 * Every lookup accepts any name; names outside the table get category `other`, risk `info` and
 * Docker status `blocked` (the default profile only allows names it lists).
 */
import { DEFAULT_BLOCKED_REASON, DOCKER_DEFAULT } from './docker-data.js';
import { DEFAULT_RISK, SYSCALL_RISKS } from './risk-data.js';
import { SYSCALL_CAPS, SYSCALLS_BY_CATEGORY } from './syscalls-data.js';
import {
  RISK_LEVELS,
  SYSCALL_CATEGORIES,
  type DockerDefaultStatus,
  type RiskLevel,
  type SyscallCategory,
  type SyscallKb,
  type SyscallRisk,
} from './types.js';

export * from './types.js';
export * from './moby/index.js';
export * from './runtimes.js';
export * from './equivalents.js';
export * from './capabilities.js';
export * from './systemd.js';
export * from './never-allow.js';
export * from './state-free.js';

/** Display labels of the categories ("file I/O", "I/O multiplexing", ...). */
export const CATEGORY_LABELS: Readonly<Record<SyscallCategory, string>> = {
  'file-io': 'file I/O',
  process: 'process',
  memory: 'memory',
  network: 'network',
  time: 'time',
  signals: 'signals',
  'io-multiplexing': 'I/O multiplexing',
  ipc: 'IPC',
  sysadmin: 'system administration',
  'kernel-modules': 'kernel modules',
  'namespaces-mounts': 'namespaces and mounts',
  'tracing-debugging': 'tracing and debugging',
  keyring: 'keyring',
  other: 'other',
};

interface Row {
  readonly category: SyscallCategory;
  readonly description: string;
}

const ROWS: ReadonlyMap<string, Row> = (() => {
  const m = new Map<string, Row>();
  for (const category of SYSCALL_CATEGORIES) {
    for (const [name, description] of Object.entries(SYSCALLS_BY_CATEGORY[category])) {
      if (m.has(name)) throw new Error(`kb: ${name} is in two categories`);
      m.set(name, { category, description });
    }
  }
  return m;
})();

const NO_CAPS: readonly string[] = [];

/** Whether `name` has an explicit entry in the knowledge base table. */
export function isKnownSyscall(name: string): boolean {
  return ROWS.has(name);
}

/** Every syscall name of the knowledge base table, sorted. */
export function knownSyscallNames(): readonly string[] {
  return [...ROWS.keys()].sort();
}

/** Category of a syscall (`other` for names outside the table). */
export function categoryOf(name: string): SyscallCategory {
  return ROWS.get(name)?.category ?? 'other';
}

/** Display label of a category, e.g. `file I/O`. */
export function categoryLabel(category: SyscallCategory): string {
  return CATEGORY_LABELS[category];
}

/**
 * Parse a category given by a user: the id (`file-io`) or the label (`file I/O`), case-insensitive,
 * ignoring spaces, dashes, underscores and slashes. Returns undefined when nothing matches.
 */
export function parseCategory(text: string): SyscallCategory | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[\s\-_/]+/g, '');
  const wanted = norm(text);
  return SYSCALL_CATEGORIES.find((c) => norm(c) === wanted || norm(CATEGORY_LABELS[c]) === wanted);
}

/** One-line description of a syscall (a generic sentence for names outside the table). */
export function describeSyscall(name: string): string {
  return ROWS.get(name)?.description ?? 'Not in the sysgate knowledge base';
}

/** Risk of allowing the syscall unconditionally. */
export function riskOf(name: string): SyscallRisk {
  return SYSCALL_RISKS[name] ?? DEFAULT_RISK;
}

/** Rank of a risk level: 0 for critical up to 4 for info (lower is more severe). */
export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** Whether risk level `a` is at least as severe as `b`. */
export function riskAtLeast(a: RiskLevel, b: RiskLevel): boolean {
  return riskRank(a) <= riskRank(b);
}

/** Names of the table whose risk is at least `min`, most severe first, then by name. */
export function syscallsWithRisk(min: RiskLevel): readonly string[] {
  return knownSyscallNames()
    .filter((n) => riskAtLeast(riskOf(n).level, min))
    .sort(
      (a, b) =>
        riskRank(riskOf(a).level) - riskRank(riskOf(b).level) || (a < b ? -1 : a > b ? 1 : 0),
    );
}

/**
 * The critical list: syscalls a container profile must never allow unconditionally, i.e. every name whose
 * risk is `critical` or `high` (mount, umount2, ptrace, bpf, unshare, setns, kexec_*, *_module,
 * pivot_root, reboot, swapon/off, open_by_handle_at, perf_event_open, the keyring calls, userfaultfd,
 * io_uring_*...). Use {@link riskOf} to tell critical from high.
 */
export function criticalSyscalls(): readonly string[] {
  return syscallsWithRisk('high');
}

/** Every category with its syscall names (sorted); every category is present, maybe empty. */
export function syscallsByCategory(): Readonly<Record<SyscallCategory, readonly string[]>> {
  const out = Object.fromEntries(SYSCALL_CATEGORIES.map((c) => [c, [] as string[]])) as Record<
    SyscallCategory,
    string[]
  >;
  for (const name of knownSyscallNames()) out[categoryOf(name)].push(name);
  return out;
}

/** Capabilities that gate the privileged use of the syscall (any one suffices); empty when none. */
export function capabilityFor(name: string): readonly string[] {
  return SYSCALL_CAPS[name] ?? NO_CAPS;
}

/** How Docker's default seccomp profile treats the syscall, with Docker's reason. */
export function dockerDefaultStatus(name: string): DockerDefaultStatus {
  return (
    DOCKER_DEFAULT[name] ?? {
      status: 'blocked',
      caps: NO_CAPS,
      arches: NO_CAPS,
      reason: DEFAULT_BLOCKED_REASON,
    }
  );
}

/**
 * Short display form of a Docker status: `allowed`, `blocked`, `conditional-args`,
 * `allowed-with-cap(CAP_SYS_ADMIN|CAP_BPF)`, `arch-specific(arm,arm64)`, `kernel-gated(>=4.8)`.
 */
export function dockerStatusLabel(s: DockerDefaultStatus): string {
  switch (s.status) {
    case 'allowed':
    case 'blocked':
    case 'conditional-args':
      return s.status;
    case 'allowed-with-cap':
      return `allowed-with-cap(${s.caps.join('|')})`;
    case 'arch-specific':
      return `arch-specific(${s.arches.join(',')})`;
    case 'kernel-gated':
      return `kernel-gated(>=${s.minKernel ?? '?'})`;
    default: {
      const never: never = s.status;
      return never;
    }
  }
}

/** Everything the knowledge base knows about a syscall name. */
export function syscallKb(name: string): SyscallKb {
  return {
    name,
    category: categoryOf(name),
    description: describeSyscall(name),
    risk: riskOf(name),
    caps: capabilityFor(name),
    docker: dockerDefaultStatus(name),
    known: isKnownSyscall(name),
  };
}
export * from './podman.js';
