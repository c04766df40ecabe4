/**
 * The runc part of `validate`: what runc's rule handling (src/runc/action.ts, rules.ts) refuses is an
 * error, what it silently skips or rewrites is a warning. Host independent: it checks the profile as
 * written (before moby's includes/excludes), against the arches the profile declares.
 * - a rule whose action (errno data included) equals the default is skipped before anything else
 *   about it is validated: its argument index and count are never checked (warnings, not errors);
 * - ERRNO/TRACE data goes through runc's int16 cast (65537 becomes 1); libseccomp then refuses
 *   ERRNO data from 4095 on;
 * - names no libseccomp table knows, or that no declared arch has, are skipped;
 * - of two unconditional rules for one name that runc passes on, libseccomp keeps the first.
 */
import {
  archBySeccompGoName,
  isSyscallName,
  libseccompKnows,
  suggestSyscall,
  type ArchName,
} from '../arch/index.js';
import { IssueCollector, sortIssues } from '../document/issues.js';
import type { ProfileIssue } from '../profile/errors.js';
import { profileArch } from '../profile/arches.js';
import { checkProfile, type CheckOptions, type Issues } from '../profile/check.js';
import { join } from '../profile/decode.js';
import { argIndexPointer, namePointer } from '../profile/formats/docker.js';
import {
  loadProfile,
  validateProfileSource,
  type LoadOptions,
  type ValidateOptions,
  type ValidationResult,
} from '../profile/load.js';
import type { ActionName, LoadedProfile, Profile, SyscallRule } from '../profile/types.js';
import { EPERM, ERRNO_LIMIT, effectiveErrno, runcAction } from './action.js';
import { ruleEqualsDefault } from './rules.js';

/** Unknown syscall names per profile that get a "did you mean" suggestion. */
const MAX_SUGGESTIONS = 1000;

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

/** Check a profile against runc's rule handling. Returns every issue, errors first. */
export function checkRunc(input: LoadedProfile | Profile, opts: CheckOptions = {}): ProfileIssue[] {
  const loaded = 'profile' in input ? input : undefined;
  const profile = loaded?.profile ?? (input as Profile);
  const base = opts.pointer ?? loaded?.pointer ?? '';
  const out: Issues = new IssueCollector(opts.file ?? loaded?.file, opts.locate ?? loaded?.locate);
  const version = opts.libseccomp ?? '2.6';
  const p = (key: string): string => join(base, key);

  if (profile.defaultAction !== undefined) {
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

  const arches = declaredArches(profile).flatMap((a) => {
    const info = profileArch(a);
    return info === undefined ? [] : [info.name];
  });
  const unconditional = new Map<string, SyscallRule>();
  let unknownNames = 0;
  for (const rule of profile.syscalls) {
    const rp = rule.pointer;
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
          argIndexPointer(rule, k),
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
      if (name === '') {
        // runc's matchCall refuses an empty name before it compares the action with the default.
        out.add(
          'error',
          'empty-syscall-name',
          'empty syscall name: runc refuses the profile ("empty string is not a valid syscall")',
          np,
        );
      } else if (!isSyscallName(name)) {
        // Suggestions cost an edit-distance search each; a file of junk names gets them for the first few.
        const hint = ++unknownNames <= MAX_SUGGESTIONS ? suggestSyscall(name) : undefined;
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
          { received: name },
        );
      }
      // Only a rule runc passes on can shadow another in libseccomp (an equal-to-default one is gone).
      if (
        !equal &&
        rule.args.length === 0 &&
        rule.includes === undefined &&
        rule.excludes === undefined
      ) {
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
  }
  return sortIssues(out.issues);
}

/** Every check of a profile for the real stack: the document's (profile/check.ts) and runc's. */
export function checkForRunc(
  input: LoadedProfile | Profile,
  opts: CheckOptions = {},
): ProfileIssue[] {
  return sortIssues([...checkProfile(input, opts), ...checkRunc(input, opts)]);
}

/** `validateProfileSource` with runc's checks: parse and check every profile in a file; never throws for bad input. */
export function validateForRunc(
  text: string,
  file: string,
  opts: ValidateOptions = {},
): ValidationResult {
  return validateProfileSource(text, file, { ...opts, check: checkForRunc });
}

/** `loadProfile` with runc's checks: throws a ProfileError with every issue when the real stack refuses the profile. */
export function loadForRunc(file: string, text: string, opts: LoadOptions = {}): LoadedProfile {
  return loadProfile(file, text, { ...opts, check: checkForRunc });
}
