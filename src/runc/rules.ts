/**
 * runc's rule handling (libcontainer/seccomp/seccomp_linux.go `InitSeccomp`, `matchCall`): the one
 * implementation of what runc does with each rule before libseccomp sees it, with the fate of every
 * flattened (rule, name) pair recorded:
 * - a rule whose action (errno data included) equals the default is skipped before anything else
 *   about it is checked (`equals-default`);
 * - a name the linked libseccomp cannot resolve on the native arch is skipped (`unknown-name`,
 *   libseccomp version dependent; a name known to the table but absent on the native arch resolves
 *   to a negative pseudo number and is kept);
 * - a rule whose argument indices repeat is split into one-condition rules, one per condition
 *   (`split`); otherwise the conditions are ANDed in one rule (`kept`).
 * What runc refuses (NOTIFY default or write, errno data libseccomp refuses, an empty name, an
 * argument index above 5, NOTIFY without a listener, an unknown or cross-endian arch) is a
 * ProfileError naming the pointer, raised where runc stops.
 */
import { archByScmpName, archInfo } from '../arch/arches.js';
import { libseccompKnows, libseccompNumber, type LibseccompVersion } from '../arch/syscalls.js';
import type { ArchInfo, ArchName } from '../arch/types.js';
import { SECCOMP_RET_DATA, SECCOMP_RET_USER_NOTIF } from '../bpf/seccomp.js';
import { toPointer } from '../document/pointer.js';
import { ProfileError, type ProfileIssue, type ProfileIssueCode } from '../profile/errors.js';
import type { ActionName, ArgCondition } from '../profile/types.js';
import { ERRNO_LIMIT, errnoRefused, runcActionValue } from './action.js';

/** One rule as runc reads it from the OCI `LinuxSyscall`, plus its source pointer. */
export interface RuncRuleInput {
  /** Syscall names; runc turns each into its own rule. */
  readonly names: readonly string[];
  /** Action string. */
  readonly action: ActionName;
  /** `errnoRet` for ERRNO/TRACE. */
  readonly errnoRet?: number;
  /** Conditions in document order. */
  readonly args: readonly ArgCondition[];
  /** JSON pointer of the rule in the source document. */
  readonly pointer: string;
}

/** The OCI `LinuxSeccomp` fields runc's rule handling reads. */
export interface RuncProfileInput {
  /** Default action. */
  readonly defaultAction: ActionName;
  /** `defaultErrnoRet`. */
  readonly defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names. */
  readonly architectures: readonly string[];
  /** Listener socket (needed by NOTIFY rules). */
  readonly listenerPath?: string;
  /** Rules in document order. */
  readonly syscalls: readonly RuncRuleInput[];
}

/** What runc did with one flattened (rule, name) pair. */
export type RuncFate =
  /** Skipped: the action equals the default action. */
  | { readonly kind: 'equals-default' }
  /** Skipped: the linked libseccomp does not resolve the name on the native arch. */
  | {
      readonly kind: 'unknown-name';
      readonly libseccomp: LibseccompVersion;
      readonly arch: ArchName;
    }
  /** Passed to libseccomp as one rule, conditions ANDed. */
  | { readonly kind: 'kept'; readonly conditions: readonly ArgCondition[] }
  /** Passed to libseccomp as one rule per condition, because argument index `index` repeats. */
  | {
      readonly kind: 'split';
      readonly index: number;
      readonly into: readonly (readonly ArgCondition[])[];
    };

/** One flattened rule and its fate. */
export interface RuncRule {
  /** Pointer of the profile rule. */
  readonly pointer: string;
  /** Position of the name in the rule's `names`. */
  readonly nameIndex: number;
  /** The syscall name. */
  readonly name: string;
  /** runc's libseccomp action value for the rule. */
  readonly action: number;
  /** What runc did with it. */
  readonly fate: RuncFate;
}

/** The condition sets runc adds for a rule passed to libseccomp (one per `seccomp_rule_add`). */
export function runcConditionSets(fate: RuncFate): readonly (readonly ArgCondition[])[] {
  switch (fate.kind) {
    case 'kept':
      return [fate.conditions];
    case 'split':
      return fate.into;
    case 'equals-default':
    case 'unknown-name':
      return [];
  }
}

/**
 * How runc passes a rule's conditions: all ANDed in one rule, or, when an argument index repeats, one
 * rule per condition (the first repeated index is named).
 */
export function splitConditions(
  args: readonly ArgCondition[],
):
  | { readonly kind: 'kept'; readonly conditions: readonly ArgCondition[] }
  | Extract<RuncFate, { kind: 'split' }> {
  const seen = new Set<number>();
  for (const c of args) {
    if (seen.has(c.index)) return { kind: 'split', index: c.index, into: args.map((x) => [x]) };
    seen.add(c.index);
  }
  return { kind: 'kept', conditions: [...args] };
}

/** The arches whose syscall tables decide whether a name is in libseccomp's table at all. */
const TABLE_ARCHES: readonly ArchName[] = [
  'x86_64',
  'x86',
  'x32',
  'aarch64',
  'arm',
  's390x',
  's390',
  'ppc64le',
  'ppc',
  'mips',
  'mips64',
  'riscv64',
];

/**
 * Whether libseccomp `version` resolves `name` at all on the native arch (runc's
 * `GetSyscallFromName`): a name in libseccomp's table but absent on the native arch resolves to a
 * negative pseudo number, which runc accepts; only names unknown to the table fail.
 */
export function runcResolves(native: ArchName, name: string, version: LibseccompVersion): boolean {
  if (libseccompKnows(native, name, version)) return true;
  return TABLE_ARCHES.some((a) => libseccompNumber(a, name, version) !== undefined);
}

/**
 * Whether runc prepends its ENOSYS stub (patchbpf/enosys_linux.go): not when the default action
 * already lets calls through (ALLOW, LOG, TRACE).
 */
export function runcAddsEnosysStub(defaultAction: ActionName): boolean {
  return (
    defaultAction !== 'SCMP_ACT_ALLOW' &&
    defaultAction !== 'SCMP_ACT_LOG' &&
    defaultAction !== 'SCMP_ACT_TRACE'
  );
}

/** Whether runc skips a rule because its action (errno data included) equals the default. */
export function ruleEqualsDefault(
  profile: {
    readonly defaultAction?: ActionName | undefined;
    readonly defaultErrnoRet?: number | undefined;
  },
  rule: { readonly action: ActionName; readonly errnoRet?: number | undefined },
): boolean {
  if (profile.defaultAction === undefined) return false;
  return (
    runcActionValue(rule.action, rule.errnoRet) ===
    runcActionValue(profile.defaultAction, profile.defaultErrnoRet)
  );
}

function refuse(code: ProfileIssueCode, message: string, pointer: string): never {
  const issue: ProfileIssue = { code, severity: 'error', message, pointer };
  throw new ProfileError([issue]);
}

function ptr(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Options of {@link runcSeccomp}. */
export interface RuncOptions {
  /** The host (runc's and libseccomp's native) architecture. */
  readonly arch: ArchName;
  /** libseccomp version runc is linked with; decides which names resolve. */
  readonly libseccomp: LibseccompVersion;
}

/** What runc hands libseccomp: the default action, the filter's arches and the flattened rules. */
export interface RuncSeccomp {
  /** The default action value (`seccomp_init`). */
  readonly defaultAction: number;
  /** Arches of the filter in libseccomp order: native first (runc never removes it), then the listed ones. */
  readonly arches: readonly ArchInfo[];
  /**
   * Every flattened (rule, name) pair in document order with its fate. Iterating raises runc's
   * refusals where runc raises them (rule by rule), so a consumer that adds rules as it goes sees the
   * same first error as the real stack.
   */
  readonly rules: () => Generator<RuncRule, void, undefined>;
}

/** Arches of the filter: native first, then the listed ones (`seccomp_arch_add`); refuses unknown and cross-endian. */
function filterArches(profile: RuncProfileInput, native: ArchName): ArchInfo[] {
  const out: ArchInfo[] = [archInfo(native)];
  const issues: ProfileIssue[] = [];
  profile.architectures.forEach((s, i) => {
    const a = archByScmpName(s);
    if (a === undefined) {
      issues.push({
        code: 'unknown-arch',
        severity: 'error',
        message: `${s} is not an architecture runc knows`,
        pointer: toPointer(['architectures', i]),
      });
      return;
    }
    if (out.some((o) => o.name === a.name)) return;
    if (a.endian !== archInfo(native).endian) {
      issues.push({
        code: 'arch-endian-mismatch',
        severity: 'error',
        message: `libseccomp cannot mix ${a.name} (${a.endian}-endian) into a ${native} filter (EDOM)`,
        pointer: toPointer(['architectures', i]),
      });
      return;
    }
    out.push(a);
  });
  const [first, ...rest] = issues;
  if (first) throw new ProfileError([first, ...rest]);
  return out;
}

/**
 * runc's `InitSeccomp` for `profile` on a host: the default action and arches (refusals raised now),
 * and the rule loop with every rule's fate (refusals raised while iterating).
 */
export function runcSeccomp(profile: RuncProfileInput, opts: RuncOptions): RuncSeccomp {
  if (profile.defaultAction === 'SCMP_ACT_NOTIFY') {
    refuse('notify-default', 'SCMP_ACT_NOTIFY cannot be used as default action', '/defaultAction');
  }
  const defAct = runcActionValue(profile.defaultAction, profile.defaultErrnoRet);
  if (errnoRefused(defAct)) {
    refuse(
      'errno-out-of-range',
      `default errno ${defAct & SECCOMP_RET_DATA} is not below ${ERRNO_LIMIT}; libseccomp refuses the filter`,
      '/defaultErrnoRet',
    );
  }
  const arches = filterArches(profile, opts.arch);
  for (const r of profile.syscalls) {
    if (r.action === 'SCMP_ACT_NOTIFY' && r.names.includes('write')) {
      refuse('notify-write', 'SCMP_ACT_NOTIFY cannot be used for the write syscall', r.pointer);
    }
  }
  function* rules(): Generator<RuncRule, void, undefined> {
    let notifyUsed = false;
    for (const rule of profile.syscalls) {
      const act = runcActionValue(rule.action, rule.errnoRet);
      for (const [ni, name] of rule.names.entries()) {
        const base = { pointer: rule.pointer, nameIndex: ni, name, action: act };
        // runc's matchCall refuses an empty name first, then skips a rule equal to the default
        // before anything else is validated.
        if (name.length === 0) {
          refuse(
            'empty-syscall-name',
            'empty string is not a valid syscall',
            toPointer([...ptr(rule.pointer), 'names', ni]),
          );
        }
        if (act === defAct) {
          yield { ...base, fate: { kind: 'equals-default' } };
          continue;
        }
        if (!runcResolves(opts.arch, name, opts.libseccomp)) {
          yield {
            ...base,
            fate: { kind: 'unknown-name', libseccomp: opts.libseccomp, arch: opts.arch },
          };
          continue;
        }
        const bad = rule.args.findIndex(
          (c) => !Number.isInteger(c.index) || c.index < 0 || c.index > 5,
        );
        if (bad >= 0) {
          refuse(
            'arg-index-out-of-range',
            `argument index ${rule.args[bad]?.index ?? '?'} of ${name} is not 0-5`,
            toPointer([...ptr(rule.pointer), 'args', bad, 'index']),
          );
        }
        if (errnoRefused(act)) {
          refuse(
            'errno-out-of-range',
            `errnoRet ${act & SECCOMP_RET_DATA} is not below ${ERRNO_LIMIT}; libseccomp refuses the rule`,
            toPointer([...ptr(rule.pointer), 'errnoRet']),
          );
        }
        if (act === SECCOMP_RET_USER_NOTIF) notifyUsed = true;
        yield { ...base, fate: splitConditions(rule.args) };
      }
    }
    if (notifyUsed && (profile.listenerPath ?? '') === '') {
      refuse('notify-without-listener', 'SCMP_ACT_NOTIFY needs listenerPath', '/listenerPath');
    }
  }
  return { defaultAction: defAct, arches, rules };
}
