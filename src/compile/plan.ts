/**
 * The filter plan: the exact decision the real stack (moby -> runc -> libseccomp) builds for one host,
 * before any BPF is emitted. `compile/model` builds it from a resolved profile and decides on it;
 * `compile/codegen` lowers it to classic BPF. Both must agree on every input.
 *
 * Comparisons are at the level of 32-bit words, exactly as the kernel sees `seccomp_data`, so the plan's
 * decision is the kernel's decision: a 64-bit libseccomp condition appears as a hi-word node followed by
 * a lo-word node; a 32-bit ABI compares lo words only.
 */
import type { ArchName } from '../arch/types.js';
import type { RuncFate } from '../runc/rules.js';

/** Where a decision came from, for `explain`. */
export type DecisionOrigin =
  | { readonly kind: 'rule'; readonly pointer: string; readonly name: string }
  | { readonly kind: 'default' }
  | { readonly kind: 'enosys-stub'; readonly max: number }
  | { readonly kind: 'bad-arch' };

/** A leaf: the 32-bit SECCOMP_RET_* value (action | data) and where it came from. */
export interface PlanLeaf {
  readonly kind: 'ret';
  /** Full return value, e.g. 0x50001 for ERRNO(EPERM). */
  readonly value: number;
  /** Why. */
  readonly origin: DecisionOrigin;
}

/**
 * A comparison of one 32-bit word of one argument:
 * `((word & mask) OP datum)` where OP is `eq` (==), `gt` (>), `ge` (>=) on unsigned 32-bit values,
 * or `set` ((word & datum) != 0, BPF_JSET; mask unused and 0xffffffff).
 */
export interface PlanCompare {
  readonly kind: 'cmp';
  /** Argument index 0-5. */
  readonly arg: number;
  /** Which half of the 64-bit slot: `lo` is offset 16+8i on little-endian ABIs, `hi` the other word. */
  readonly word: 'lo' | 'hi';
  /** Unsigned comparison. */
  readonly op: 'eq' | 'gt' | 'ge' | 'set';
  /** AND mask applied to the word before comparing (0xffffffff when none). */
  readonly mask: number;
  /** Unsigned 32-bit datum. */
  readonly datum: number;
  /** Next node when the comparison holds. */
  readonly then: PlanNode;
  /** Next node when it does not. */
  readonly else: PlanNode;
}

/** A node of a per-syscall decision DAG (nodes may be shared). */
export type PlanNode = PlanLeaf | PlanCompare;

/** The decision for one syscall number on one ABI. */
export interface SyscallPlan {
  /** Syscall number as it appears in `seccomp_data.nr` (x32 numbers include bit 30). */
  readonly nr: number;
  /** Syscall name (for comments and explain). */
  readonly name: string;
  /** Decision; a single leaf when the syscall does not depend on arguments. */
  readonly root: PlanNode;
}

/** The part of a filter for one ABI. */
export interface ArchPlan {
  /** The ABI. */
  readonly arch: ArchName;
  /** AUDIT_ARCH token the section is entered by (x86_64 and x32 share one token). */
  readonly auditArch: number;
  /** Syscalls with an explicit decision, sorted by `nr`. */
  readonly syscalls: readonly SyscallPlan[];
  /** Decision for every other syscall number of this ABI. */
  readonly defaultLeaf: PlanLeaf;
  /**
   * runc's ENOSYS stub for this ABI: numbers above `max` get ERRNO(ENOSYS) (runc patchbpf), numbers at
   * or below fall through to the plan. Undefined when runc adds no stub (ALLOW/LOG/TRACE default).
   */
  readonly enosysMax?: number;
}

/** What libseccomp made of a rule runc passed on, on one ABI of the filter. */
export type RuleArchFate =
  /** Some leaf of the program on this ABI is the rule's: it decides some calls. */
  | { readonly arch: ArchName; readonly kind: 'decides' }
  /** The syscall has no number on this ABI (or the section lost its number load): nothing to decide. */
  | { readonly arch: ArchName; readonly kind: 'absent' }
  /** The syscall is in the program, but none of its leaves is this rule's: `by` are the rules that decide it. */
  | { readonly arch: ArchName; readonly kind: 'shadowed'; readonly by: readonly string[] };

/** The recorded fate of one flattened (rule, name) pair: what runc did, then what libseccomp did. */
export interface RuleRecord {
  /** Pointer of the profile rule. */
  readonly pointer: string;
  /** The syscall name. */
  readonly name: string;
  /** Position of the name in the rule's `names`. */
  readonly nameIndex: number;
  /** runc's handling (src/runc): equals-default, unknown-name, kept or split. */
  readonly runc: RuncFate;
  /** For rules runc passed on (kept, split): per ABI of the filter, in plan order. */
  readonly arches: readonly RuleArchFate[];
}

/** A whole filter for one host (the native ABI and its sub-architectures). */
export interface FilterPlan {
  /** ABIs in the order libseccomp adds them. */
  readonly arches: readonly ArchPlan[];
  /** Decision for an unlisted AUDIT_ARCH token (libseccomp's bad-arch action; KILL_THREAD by default). */
  readonly badArch: PlanLeaf;
  /** Notes about version-dependent behaviour that changed a decision (shown by explain/compile). */
  readonly notes: readonly string[];
  /** Every flattened rule of the profile, in document order, with its fate. */
  readonly rules: readonly RuleRecord[];
}
