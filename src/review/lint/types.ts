/**
 * The lint model: a rule is metadata (id, severity, descriptions, sources), a detector that asks the
 * engine (the parsed profile, validate's issues, runc's rule fates, the compiled plan and its
 * decisions) and returns findings at JSON pointers, an optional fix, and a case table its own tests
 * run through the real runner. Findings are data, never errors.
 */
import type { RuntimeVersions } from '../../compile/runtime-versions.js';
import type { ArchName } from '../../arch/types.js';
import type { FilterPlan, PlanLeaf, PlanNode, RuleRecord } from '../../compile/plan.js';
import type { LineColumn } from '../../document/issues.js';
import type { ProfileIssue } from '../../profile/errors.js';
import type { KernelVersion, ResolvedProfile } from '../../profile/resolve.js';
import type { LoadedProfile, Profile, SyscallRule } from '../../profile/types.js';
import type { LibseccompVersion } from '../../arch/syscalls.js';

/** How bad a finding is: `error` fails the run (exit 1), `warning` and `info` do not. */
export type LintSeverity = 'error' | 'warning' | 'info';

/** Every severity, most severe first. */
export const LINT_SEVERITIES: readonly LintSeverity[] = ['error', 'warning', 'info'];

/** What a configuration may set a rule to. */
export type RuleSetting = LintSeverity | 'off';

/** A rule's description for users, the docs page and SARIF. */
export interface RuleMeta {
  /** Stable kebab-case id; equals the rule's file name and its docs page `docs/rules/ID.md`. */
  readonly id: string;
  /** Default severity. */
  readonly severity: LintSeverity;
  /** Whether the rule is about security risk (SARIF `security` tag) rather than correctness. */
  readonly security: boolean;
  /** One line: what the rule reports. */
  readonly short: string;
  /** A paragraph: why it matters and what to do. */
  readonly long: string;
  /** Where the facts come from: issue threads, commits, specs (`owner/repo#N`, URLs). */
  readonly sources: readonly string[];
}

/** One edit of a fix, on the document the profile was read from (pointers as in findings). */
export type FixEdit =
  /** Remove the node at `pointer` (an array item or an object member). */
  | { readonly op: 'remove'; readonly pointer: string }
  /** Replace the value at `pointer` with a JSON value. */
  | { readonly op: 'replace'; readonly pointer: string; readonly value: unknown };

/**
 * A fix: edits that are exact (they change nothing but what the finding names) and safe (the fixed
 * profile allows nothing the original refused; the runner checks this with the diff before writing).
 */
export interface Fix {
  /** What the fix does, for the report. */
  readonly description: string;
  /** The edits, each at a pointer of the source document. */
  readonly edits: readonly FixEdit[];
  /** Which document of a multi-document file the pointers are in (set by the runner). */
  readonly documentIndex?: number;
}

/** What a detector reports: a place, a message, maybe a fix and facts for JSON output. */
export interface RawFinding {
  /** JSON pointer of the offending node in the source document. */
  readonly pointer: string;
  /** What is wrong, in one or two sentences. */
  readonly message: string;
  /** ABIs the finding holds on, when it depends on the ABI. */
  readonly abis?: readonly ArchName[];
  /** Syscalls concerned. */
  readonly syscalls?: readonly string[];
  /** An exact and safe fix. */
  readonly fix?: Fix;
}

/** The host the profile is linted for (what moby resolves against, what runc links). */
export interface LintHost {
  /** The machine's native arch (the filter's first ABI). */
  readonly arch: ArchName;
  /** Every ABI the machine runs (x86_64: x86_64, x86, x32). */
  readonly abis: readonly ArchName[];
  /** Bounding capabilities of the container. */
  readonly caps: readonly string[];
  /** The kernel, for minKernel. */
  readonly kernel: KernelVersion;
  /** libseccomp runc links with. */
  readonly libseccomp: LibseccompVersion;
  /** The container stack's versions (compile/runtime-versions.ts); absent: the reference stack. */
  readonly stack?: RuntimeVersions;
}

/** Everything a detector may ask about one profile. Expensive parts are computed on first use. */
export interface LintContext {
  /** File name as given (`-` for stdin). */
  readonly file: string;
  /** The profile as read, with its source positions. */
  readonly doc: LoadedProfile;
  /** The profile model. */
  readonly profile: Profile;
  /** The host it is linted for. */
  readonly host: LintHost;
  /** Position of a JSON pointer of the source document. */
  locate(pointer: string): LineColumn | undefined;
  /** validate's issues for this profile: parsing, the document's checks, runc's, the multiplexer check. */
  readonly issues: readonly ProfileIssue[];
  /** The OCI profile moby hands runc on the host; null when seccomp is off; undefined when moby refuses it. */
  readonly resolved: ResolvedProfile | null | undefined;
  /** The plan runc + libseccomp build on the host; undefined when the stack refuses the profile. */
  readonly plan: FilterPlan | undefined;
  /** Why there is no plan, when the stack refuses the profile. */
  readonly planError: ProfileIssue | undefined;
  /** Every flattened (rule, name) pair with runc's and libseccomp's fate (empty without a plan). */
  readonly records: readonly RuleRecord[];
  /** The profile rule at a pointer (`/syscalls/3`). */
  ruleAt(pointer: string): SyscallRule | undefined;
  /** Pointer of the j-th name of a rule (the key the file really has). */
  namePointer(rule: SyscallRule, j: number): string;
  /** Pointer of the k-th condition's argument index. */
  argIndexPointer(rule: SyscallRule, k: number): string;
  /** The deciding DAG of a syscall on one ABI of the plan (runc's stub, the rule, or the default). */
  decisionRoot(abi: ArchName, nr: number): PlanNode | undefined;
  /** The pointer a decision leaf names: the rule's name, `/defaultAction`, or undefined. */
  leafPointer(leaf: PlanLeaf): string | undefined;
}

/** One case of a rule's table: a profile document, and for invalid cases what must be found. */
export interface LintCase {
  /** What the case shows. */
  readonly name: string;
  /** The profile (JSON text, or an object serialised as JSON). */
  readonly profile: string | object;
  /** For invalid cases: pointers the rule must report (at least these; exactly these when `only`). */
  readonly pointers?: readonly string[];
  /** Host overrides (default: x86_64 with Docker's capabilities, kernel 6.1, libseccomp 2.5.4). */
  readonly host?: Partial<Pick<LintHost, 'arch' | 'caps' | 'libseccomp'>>;
  /** For invalid cases with a fix: the profile after `--fix`, as a JSON value. */
  readonly fixed?: object;
}

/** A rule: metadata, detector, case table. */
export interface LintRule {
  /** Metadata. */
  readonly meta: RuleMeta;
  /** Findings for one profile. Must not throw for any profile the runner hands it. */
  readonly detect: (ctx: LintContext) => readonly RawFinding[];
  /** Profiles the rule must accept, and profiles it must report. */
  readonly cases: { readonly valid: readonly LintCase[]; readonly invalid: readonly LintCase[] };
}

/** A finding as the runner reports it. */
export interface Finding {
  /** File name as given. */
  readonly file: string;
  /** Rule id. */
  readonly rule: string;
  /** Severity after configuration. */
  readonly severity: LintSeverity;
  /** JSON pointer of the offending node. */
  readonly pointer: string;
  /** 1-based line (1 when the position is unknown). */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The message. */
  readonly message: string;
  /** Name of the profile inside a multi-profile file (SPO name, ConfigMap key, Firecracker thread). */
  readonly document?: string;
  /** ABIs the finding holds on. */
  readonly abis?: readonly ArchName[];
  /** Syscalls concerned. */
  readonly syscalls?: readonly string[];
  /** What `--fix` would do, when the rule has a fix for this finding. */
  readonly fix?: Fix;
}
