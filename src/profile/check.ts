/**
 * Semantic phase: what Docker (moby `setupSeccomp`), runc (`SetupSeccomp`, `InitSeccomp`,
 * `matchCall`) and libseccomp (`seccomp_init`, `seccomp_rule_add_array`) refuse is an error; what
 * they silently ignore or rewrite is a warning. Every issue is collected, errors first.
 *
 * Subtleties modelled here (docs/semantics.md#moby-rejects, docs/semantics.md#runc-spec,
 * docs/semantics.md#runc-actions, docs/semantics.md#runc-equals-default,
 * docs/semantics.md#libseccomp-api, docs/semantics.md#runc-unknown-names):
 * - runc compares each rule's action, including its errno data, with the default and skips an equal
 *   rule before validating anything else about it: its argument index and count are never checked.
 * - ERRNO/TRACE data is `errnoRet` (default EPERM = 1) cast to int16 and kept as 16 bits, so 65537
 *   becomes 1; libseccomp then refuses ERRNO data >= 4095 (measured with libseccomp 2.5.4:
 *   ERRNO(4094) accepted, ERRNO(4095) refused with EINVAL, both as default and as rule action).
 * - KILL and KILL_THREAD are the same action to runc.
 */
import {
  archBySeccompGoName,
  isSyscallName,
  libseccompKnows,
  suggestSyscall,
  type ArchName,
  type LibseccompVersion,
} from '../arch/index.js';
import type { ProfileIssue } from './errors.js';
import { NATIVE_ARCH_NAMES, NON_RUNC_ARCHES, profileArch } from './arches.js';
import { join } from './decode.js';
import { namePointer } from './formats/docker.js';
import { IssueCollector, sortIssues, type Locate } from '../document/issues.js';
import type { ProfileIssueCode } from './errors.js';
import type { ActionName, LoadedProfile, Profile, SyscallRule } from './types.js';

/** Options for {@link checkProfile}. */
export interface CheckOptions {
  /** File name for positions (taken from a LoadedProfile when given one). */
  readonly file?: string;
  /** Pointer-to-position mapping (taken from a LoadedProfile when given one). */
  readonly locate?: Locate;
  /** Pointer of the profile object in its document (e.g. `/spec`). */
  readonly pointer?: string;
  /** libseccomp version whose syscall table decides "unknown to the declared arches" (default 2.6). */
  readonly libseccomp?: LibseccompVersion;
}

/** The filter flags the OCI runtime-spec defines and runc accepts (TSYNC accepted and ignored). */
export const RUNC_FLAGS: readonly string[] = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
];

/** ERRNO data libseccomp refuses from this value on (`MAX_ERRNO` check in `sys_chk_seccomp_action`). */
export const ERRNO_LIMIT = 4095;

/** EPERM: what runc uses when a rule or the default has no `errnoRet`. */
const EPERM = 1;

/** The 16-bit ERRNO/TRACE data runc hands libseccomp for `errnoRet` (int16 cast, then 16 bits). */
export function effectiveErrno(errnoRet: number | undefined): number {
  if (errnoRet === undefined) return EPERM;
  return Number(BigInt(Math.trunc(errnoRet)) & 0xffffn);
}

/** runc's view of an action: KILL is KILL_THREAD; ERRNO/TRACE carry their 16-bit data. */
export function runcAction(action: ActionName, errnoRet: number | undefined): string {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 'SCMP_ACT_KILL_THREAD';
    case 'SCMP_ACT_ERRNO':
    case 'SCMP_ACT_TRACE':
      return `${action}(${effectiveErrno(errnoRet)})`;
    case 'SCMP_ACT_KILL_PROCESS':
    case 'SCMP_ACT_TRAP':
    case 'SCMP_ACT_ALLOW':
    case 'SCMP_ACT_LOG':
    case 'SCMP_ACT_NOTIFY':
      return action;
    default: {
      const never: never = action;
      return String(never);
    }
  }
}

/** Whether runc skips `rule` because its action (errno included) equals the profile's default. */
export function ruleEqualsDefault(profile: Profile, rule: SyscallRule): boolean {
  if (profile.defaultAction === undefined) return false;
  return (
    runcAction(rule.action, rule.errnoRet) ===
    runcAction(profile.defaultAction, profile.defaultErrnoRet)
  );
}

/** The checker's issue collector. */
type Issues = IssueCollector<ProfileIssueCode>;

function checkErrno(
  out: Issues,
  action: ActionName,
  errnoRet: number | undefined,
  pointer: string,
  what: string,
): void {
  if (action !== 'SCMP_ACT_ERRNO' && action !== 'SCMP_ACT_TRACE') {
    if (errnoRet !== undefined) {
      out.add(
        'warning',
        'errno-ignored',
        `${what} is ignored for ${action} (only ERRNO and TRACE carry data)`,
        pointer,
      );
    }
    return;
  }
  const final = effectiveErrno(errnoRet);
  if (errnoRet !== undefined && errnoRet > 0xffff) {
    out.add(
      'warning',
      'errno-truncated',
      `${what} ${errnoRet} is truncated to 16 bits by runc (int16 cast): the filter returns ${final}`,
      pointer,
      { received: String(errnoRet) },
    );
  }
  if (action === 'SCMP_ACT_ERRNO' && final >= ERRNO_LIMIT) {
    out.add(
      'error',
      'errno-out-of-range',
      `${what} ${errnoRet ?? EPERM}${final !== errnoRet ? ` (${final} after runc's 16-bit truncation)` : ''} is refused by libseccomp: ERRNO data must be below ${ERRNO_LIMIT}`,
      pointer,
      { expected: `0..${ERRNO_LIMIT - 1}`, received: String(errnoRet) },
    );
  }
}

function checkArchList(
  out: Issues,
  arches: readonly { value: string; pointer: string }[],
  where: string,
  severity: 'error' | 'warning',
  mixSeverity: 'error' | 'warning',
  mixHint = '',
): void {
  const endians = new Map<string, string>();
  for (const a of arches) {
    const info = profileArch(a.value);
    if (info === undefined) {
      const reason = NON_RUNC_ARCHES[a.value];
      out.add(
        severity,
        'unknown-arch',
        reason === undefined
          ? `unknown architecture "${a.value}" (runc: not a valid arch for seccomp)`
          : `architecture "${a.value}": ${reason}`,
        a.pointer,
        { received: a.value },
      );
      continue;
    }
    if (!endians.has(info.endian)) endians.set(info.endian, a.value);
  }
  if (endians.size > 1) {
    const first = arches[0];
    out.add(
      mixSeverity,
      'mixed-endian',
      `${where} mixes big-endian (${endians.get('big') ?? ''}) and little-endian (${endians.get('little') ?? ''}) architectures; libseccomp refuses this (EDOM)${mixHint}`,
      first?.pointer ?? '',
    );
  }
}

/** Whether a `minKernel` string is what moby's KernelVersion parser accepts: `<0-255>.<0-255>`, not `0.0`, or `""` (0.0). */
export function isValidMinKernel(s: string): boolean {
  if (s === '') return true;
  const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major <= 255 && minor <= 255 && !(major === 0 && minor === 0);
}

/** The `SCMP_ARCH_*` names a profile declares (architectures plus every archMap entry). */
function declaredArches(profile: Profile): string[] {
  const out = [...profile.architectures];
  for (const e of profile.archMap ?? []) out.push(e.architecture, ...e.subArchitectures);
  return [...new Set(out)];
}

/**
 * The arches a filter covers on a host whose native arch is `native` (Go/libseccomp spelling), as
 * moby builds them: `architectures` when set, else the archMap entry of that host, else the host's
 * own arch only.
 */
function archesOnHost(profile: Profile, native: string): ArchName[] {
  const info = archBySeccompGoName(native);
  if (info === undefined) return [];
  let list: readonly string[];
  if (profile.architectures.length > 0) list = profile.architectures;
  else {
    const entry = profile.archMap?.find((e) => e.architecture === info.scmpName);
    list = entry === undefined ? [info.scmpName] : [entry.architecture, ...entry.subArchitectures];
  }
  return list.flatMap((a) => {
    const p = profileArch(a);
    return p === undefined ? [] : [p.name];
  });
}

/**
 * Check a profile's meaning against what Docker, runc and libseccomp accept. Returns every issue,
 * errors first; the profile is usable by the real stack when none is an error.
 */
export function checkProfile(
  input: LoadedProfile | Profile,
  opts: CheckOptions = {},
): ProfileIssue[] {
  const loaded = 'profile' in input ? input : undefined;
  const profile = loaded?.profile ?? (input as Profile);
  const base = opts.pointer ?? loaded?.pointer ?? '';
  const out: Issues = new IssueCollector(opts.file ?? loaded?.file, opts.locate ?? loaded?.locate);
  const version = opts.libseccomp ?? '2.6';
  const p = (key: string): string => join(base, key);

  if (loaded?.format === 'libcontainer') {
    out.add(
      'error',
      'legacy-format',
      'this is the 2016 libcontainer config format (numeric actions, default_action); no released Docker reads it — convert it with `sysgate fmt`',
      base,
    );
  }

  // Profile level.
  if (profile.architectures.length > 0 && (profile.archMap?.length ?? 0) > 0) {
    out.add(
      'error',
      'arch-and-archmap',
      "both 'architectures' and 'archMap' are set: the daemon refuses this; use one",
      p('architectures'),
    );
  }
  checkArchList(
    out,
    profile.architectures.map((value, i) => ({ value, pointer: join(p('architectures'), i) })),
    'architectures',
    'error',
    'error',
  );
  (profile.archMap ?? []).forEach((e, i) => {
    const ep = join(p('archMap'), i);
    // An entry whose key is unknown never matches the host, so it is never used.
    const keyKnown = profileArch(e.architecture) !== undefined;
    checkArchList(
      out,
      [
        { value: e.architecture, pointer: join(ep, 'architecture') },
        ...e.subArchitectures.map((value, j) => ({
          value,
          pointer: join(join(ep, 'subArchitectures'), j),
        })),
      ],
      `archMap entry ${e.architecture}`,
      keyKnown ? 'error' : 'warning',
      'warning',
      `, so containers fail to start on a host of that architecture`,
    );
  });

  if (profile.defaultAction === undefined) {
    if (profile.syscalls.length === 0) {
      out.add(
        'warning',
        'seccomp-disabled',
        'no defaultAction and no syscalls: Docker runs the container without seccomp',
        base,
      );
    }
  } else {
    if (profile.defaultAction === 'SCMP_ACT_NOTIFY') {
      out.add(
        'error',
        'notify-default',
        'SCMP_ACT_NOTIFY cannot be the default action (runc refuses it)',
        p('defaultAction'),
      );
    }
    checkErrno(
      out,
      profile.defaultAction,
      profile.defaultErrnoRet,
      p('defaultErrnoRet'),
      'defaultErrnoRet',
    );
  }

  (profile.flags ?? []).forEach((flag, i) => {
    if (!RUNC_FLAGS.includes(flag)) {
      const known = flag === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';
      out.add(
        'error',
        'unknown-flag',
        known
          ? `flag ${flag} is not supported by runc ("not yet supported by runc"); crun accepts it`
          : `unknown seccomp flag "${flag}" (runc accepts ${RUNC_FLAGS.join(', ')})`,
        join(p('flags'), i),
        { received: flag },
      );
    }
  });

  const hasNotify = profile.syscalls.some((r) => r.action === 'SCMP_ACT_NOTIFY');
  if (hasNotify && (profile.listenerPath === undefined || profile.listenerPath === '')) {
    const first = profile.syscalls.find((r) => r.action === 'SCMP_ACT_NOTIFY');
    out.add(
      'error',
      'notify-without-listener',
      'SCMP_ACT_NOTIFY is used but listenerPath is not set (runc refuses this)',
      join(first?.pointer ?? base, 'action'),
    );
  }

  // Rule level.
  const arches = declaredArches(profile).flatMap((a) => {
    const info = profileArch(a);
    return info === undefined ? [] : [info.name];
  });
  const unconditional = new Map<string, SyscallRule>();
  for (const rule of profile.syscalls) {
    const rp = rule.pointer;
    if (rule.names.length === 0) {
      out.add('warning', 'empty-names', 'rule has no syscall names and does nothing', rp);
    }
    const equal = ruleEqualsDefault(profile, rule);
    if (equal) {
      out.add(
        'warning',
        'rule-equals-default',
        `action ${runcAction(rule.action, rule.errnoRet)} equals the default action: runc skips this rule without validating it`,
        join(rp, 'action'),
      );
    }
    if (rule.action === 'SCMP_ACT_NOTIFY' && rule.names.includes('write')) {
      const j = rule.names.indexOf('write');
      out.add(
        'error',
        'notify-write',
        'SCMP_ACT_NOTIFY cannot be used for the write syscall (runc refuses it)',
        namePointer(rule, j),
      );
    }
    if (rule.args.length > 6) {
      out.add(
        equal ? 'warning' : 'error',
        'too-many-args',
        `${rule.args.length} argument conditions: at most 6 are allowed${equal ? ' (not checked: the rule equals the default)' : ''}`,
        join(rp, 'args'),
      );
    }
    rule.args.forEach((a, k) => {
      if (a.index > 5) {
        out.add(
          equal ? 'warning' : 'error',
          'arg-index-out-of-range',
          `argument index ${a.index} is above 5${equal ? ' (not checked by runc: the rule equals the default)' : ' (libseccomp refuses it with EINVAL)'}`,
          join(join(join(rp, 'args'), k), 'index'),
          { expected: '0..5', received: String(a.index) },
        );
      }
    });
    if (!equal) checkErrno(out, rule.action, rule.errnoRet, join(rp, 'errnoRet'), 'errnoRet');

    // A rule limited to some hosts only meets the arches the filter has on those hosts.
    const onlyOn = rule.includes?.arches ?? [];
    const ruleArches =
      onlyOn.length > 0 ? [...new Set(onlyOn.flatMap((n) => archesOnHost(profile, n)))] : arches;
    const seen = new Set<string>();
    rule.names.forEach((name, j) => {
      const np = namePointer(rule, j);
      if (seen.has(name))
        out.add('warning', 'duplicate-name', `"${name}" is listed twice in this rule`, np);
      seen.add(name);
      if (!isSyscallName(name)) {
        const hint = suggestSyscall(name);
        out.add(
          'warning',
          'unknown-syscall',
          `"${name}" is not a syscall on any architecture; runc ignores it${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`,
          np,
          { received: name },
        );
      } else if (
        ruleArches.length > 0 &&
        !ruleArches.some((a) => libseccompKnows(a, name, version))
      ) {
        out.add(
          'warning',
          'syscall-not-on-arches',
          `"${name}" does not exist on the declared architectures; runc ignores it there`,
          np,
          {
            received: name,
          },
        );
      }
      if (rule.args.length === 0 && rule.includes === undefined && rule.excludes === undefined) {
        const prev = unconditional.get(name);
        if (prev !== undefined && prev !== rule) {
          const same =
            runcAction(prev.action, prev.errnoRet) === runcAction(rule.action, rule.errnoRet);
          out.add(
            'warning',
            'duplicate-name',
            same
              ? `"${name}" already has the same unconditional rule at ${prev.pointer}`
              : `"${name}" already has an unconditional rule at ${prev.pointer} with ${prev.action}; libseccomp keeps the first and drops this one`,
            np,
          );
        } else unconditional.set(name, rule);
      }
    });

    for (const [key, f] of [
      ['includes', rule.includes],
      ['excludes', rule.excludes],
    ] as const) {
      if (f === undefined) continue;
      f.arches.forEach((a, k) => {
        if (!NATIVE_ARCH_NAMES.includes(a)) {
          out.add(
            'warning',
            'unknown-native-arch',
            `${key}.arches "${a}" never matches: moby compares it with the daemon's native architecture (amd64, arm64, s390x, ...)`,
            join(join(join(rp, key), 'arches'), k),
          );
        }
      });
      if (f.minKernel !== undefined && !isValidMinKernel(f.minKernel)) {
        out.add(
          'error',
          'invalid-min-kernel',
          `invalid kernel version "${f.minKernel}": current moby expects exactly "<major>.<minor>" (each 0-255, not 0.0) and refuses the profile`,
          join(join(rp, key), 'minKernel'),
          { expected: '<0-255>.<0-255>', received: f.minKernel },
        );
      }
      f.caps.forEach((c, k) => {
        if (!/^CAP_[A-Z_]+$/.test(c)) {
          out.add(
            'warning',
            'unknown-capability',
            `${key}.caps "${c}" is not a capability name (CAP_...)`,
            join(join(join(rp, key), 'caps'), k),
          );
        }
      });
    }
  }
  return sortIssues(out.issues);
}
