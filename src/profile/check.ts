/**
 * Semantic phase of the document: what Docker (moby `setupSeccomp`) and libseccomp refuse about the
 * profile as a whole (arches, archMap, flags, includes/excludes filters) is an error; what they
 * silently ignore is a warning. Every issue is collected, errors first. runc's rule handling (actions,
 * errno data, skipped and shadowed rules, unknown names) is checked one layer up, by src/runc/check.ts,
 * where it is implemented (docs/semantics.md#moby-rejects, docs/semantics.md#libseccomp-api).
 */
import type { LibseccompVersion } from '../arch/index.js';
import type { ProfileIssue } from './errors.js';
import { NATIVE_ARCH_NAMES, NON_RUNC_ARCHES, profileArch } from './arches.js';
import { join } from './decode.js';
import { IssueCollector, sortIssues, type Locate } from '../document/issues.js';
import type { ProfileIssueCode } from './errors.js';
import type { LoadedProfile, Profile } from './types.js';

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

/** The checker's issue collector. */
export type Issues = IssueCollector<ProfileIssueCode>;

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

  // Rule level (runc's rule handling is checked by src/runc/check.ts).
  for (const rule of profile.syscalls) {
    const rp = rule.pointer;
    if (rule.names.length === 0) {
      out.add('warning', 'empty-names', 'rule has no syscall names and does nothing', rp);
    }
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
