/**
 * Types of the syscall knowledge base: category, risk, gating capability and Docker default-profile status.
 * The data lives in `syscalls-data.ts`, `risk-data.ts` and `docker-data.ts` (reasons; statuses are computed
 * by `moby/status.ts` from the embedded default profile); lookups in `index.ts`.
 */

/** The functional group a syscall belongs to (one per syscall). */
export type SyscallCategory =
  | 'file-io'
  | 'process'
  | 'memory'
  | 'network'
  | 'time'
  | 'signals'
  | 'io-multiplexing'
  | 'ipc'
  | 'sysadmin'
  | 'kernel-modules'
  | 'namespaces-mounts'
  | 'tracing-debugging'
  | 'keyring'
  | 'other';

/** Every category, in display order. */
export const SYSCALL_CATEGORIES: readonly SyscallCategory[] = [
  'file-io',
  'process',
  'memory',
  'network',
  'time',
  'signals',
  'io-multiplexing',
  'ipc',
  'sysadmin',
  'kernel-modules',
  'namespaces-mounts',
  'tracing-debugging',
  'keyring',
  'other',
];

/** Risk of allowing a syscall unconditionally, most severe first. */
export type RiskLevel = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** Every risk level, most severe first. */
export const RISK_LEVELS: readonly RiskLevel[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Why a syscall is risky when a profile allows it with no capability gate and no argument filter. */
export interface SyscallRisk {
  /** Risk level for an unconditional allow. */
  readonly level: RiskLevel;
  /** One-sentence reason. */
  readonly reason: string;
  /** CVE identifiers (`CVE-YYYY-NNNN`) of known exploits through this syscall; may be empty. */
  readonly cves: readonly string[];
  /** General workloads cannot run without it, so linters should report it as info only. */
  readonly essential: boolean;
  /** A higher level that applies only under a condition (e.g. ptrace on kernels before 4.8). */
  readonly escalation?: { readonly level: RiskLevel; readonly when: string };
}

/**
 * How Docker's default seccomp profile (moby/profiles `seccomp/default.json`) treats a syscall:
 * - `allowed`: in an unconditional ALLOW rule;
 * - `blocked`: in no ALLOW rule (gets the default action, EPERM), even with capabilities;
 * - `conditional-args`: allowed only for some argument values (socket, personality, clone);
 * - `allowed-with-cap`: allowed only when one of `caps` is in the container's capability set;
 * - `arch-specific`: allowed only on the native architectures in `arches`;
 * - `kernel-gated`: allowed only on kernels at or above `minKernel`.
 */
export type DockerDefaultStatusKind =
  | 'allowed'
  | 'blocked'
  | 'conditional-args'
  | 'allowed-with-cap'
  | 'arch-specific'
  | 'kernel-gated';

/** Docker default-profile status of one syscall with Docker's documented reason. */
export interface DockerDefaultStatus {
  /** The treatment (see {@link DockerDefaultStatusKind}). */
  readonly status: DockerDefaultStatusKind;
  /** Capabilities that each unlock an unconditional allow (moby `includes.caps`); may be empty. */
  readonly caps: readonly string[];
  /** Native architecture names (moby `includes.arches`: amd64, arm64, s390x…) that allow it; may be empty. */
  readonly arches: readonly string[];
  /** Minimum kernel (moby `includes.minKernel`) for the unconditional allow. */
  readonly minKernel?: string;
  /** Errno returned instead of EPERM when the syscall is denied (clone3: 38, ENOSYS). */
  readonly errnoWhenDenied?: number;
  /** Docker's reason, paraphrased from its docs and the profile history. */
  readonly reason: string;
}

/** Everything the knowledge base knows about one syscall name. */
export interface SyscallKb {
  /** Syscall name as libseccomp spells it. */
  readonly name: string;
  /** Functional category. */
  readonly category: SyscallCategory;
  /** One-line description. */
  readonly description: string;
  /** Risk of an unconditional allow. */
  readonly risk: SyscallRisk;
  /** Capabilities that gate the privileged use of the syscall (any one suffices); empty when none. */
  readonly caps: readonly string[];
  /** Docker default-profile status. */
  readonly docker: DockerDefaultStatus;
  /** Whether the name is in the knowledge base table (false: defaults were used). */
  readonly known: boolean;
}
