/**
 * The audit twin of a profile (rollout Phase A, nginx's LOG debug mode): what the enforcing profile
 * would refuse is logged and runs instead, except the critical syscalls, which stay refused. It is
 * the same policy `generate --mode audit` writes (default LOG, the knowledge base's critical set in
 * the explicit refusal block laid out by {@link layoutProfile}), made from any existing profile.
 *
 * The input must be plain (no moby includes/excludes or archMap: resolve it for a host first), so
 * every rule applies as written and the twin is exact for that host.
 */
import {
  archByScmpName,
  libseccompKnows,
  type ArchName,
  type LibseccompVersion,
} from '../arch/index.js';
import { ENOSYS } from '../compile/decide.js';
import { criticalSyscalls } from '../kb/index.js';
import type { ActionName, Profile, SyscallRule } from '../profile/types.js';
import { layoutProfile, type Policy } from './generate.js';

/** The flag that makes the kernel log ERRNO/TRAP/TRACE outcomes too (LOG and KILL are logged anyway). */
export const FILTER_FLAG_LOG = 'SECCOMP_FILTER_FLAG_LOG';

/** An audit twin and what a reviewer should know about it. */
export interface AuditTwin {
  /** The twin. */
  readonly profile: Profile;
  /** Facts about the conversion (rules turned into LOG, critical calls that cannot stay fully refused). */
  readonly notes: readonly string[];
}

/** A rule without its source pointer (the twin's rules get new ones). */
function withoutPointer(r: SyscallRule): Omit<SyscallRule, 'pointer'> {
  return {
    names: r.names,
    action: r.action,
    args: r.args,
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...(r.comment !== undefined ? { comment: r.comment } : {}),
  };
}

/** Options of {@link auditTwin}. */
export interface AuditTwinOptions {
  /**
   * Add SECCOMP_FILTER_FLAG_LOG so the kernel records ERRNO/TRAP/TRACE refusals too (default false:
   * runc 1.1 refuses any `flags` in the spec, "seccomp flags are not yet supported by runc";
   * runc 1.2 and crun load it).
   */
  readonly logRefusals?: boolean;
  /**
   * The libseccomp that will name the twin's rules (default 2.6): critical calls it cannot name on
   * any of the profile's ABIs get the default LOG, and a note says which.
   */
  readonly libseccomp?: LibseccompVersion;
}

const RUNS: ReadonlySet<ActionName> = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

/**
 * Make the audit twin of a plain profile:
 * - the default becomes LOG (an ALLOW default stays: it refuses nothing);
 * - ALLOW and LOG rules are kept, so are ERRNO(ENOSYS) rules (a compatibility answer, e.g. clone3);
 * - a refusing rule keeps its critical names and logs the others (dropped when LOG is the default);
 * - the critical syscalls the default refused (no rule names them) are refused explicitly with EPERM;
 * - with `logRefusals`, `SECCOMP_FILTER_FLAG_LOG` is added so the kernel records the refusals too (and
 *   SPEC_ALLOW when the profile had no flags, which is what runc asks for then).
 */
export function auditTwin(profile: Profile, opts: AuditTwinOptions = {}): AuditTwin {
  if (profile.archMap !== undefined && profile.archMap.length > 0)
    throw new Error('auditTwin: resolve the archMap first');
  if (profile.syscalls.some((r) => r.includes !== undefined || r.excludes !== undefined))
    throw new Error('auditTwin: resolve includes/excludes first');
  const critical = new Set(criticalSyscalls());
  const defaultAction: ActionName =
    profile.defaultAction === 'SCMP_ACT_ALLOW' ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_LOG';
  const abis = profile.architectures
    .map((a) => archByScmpName(a)?.name)
    .filter((a): a is ArchName => a !== undefined);
  const notes: string[] = [];
  const logged: string[] = [];
  const rules: Omit<SyscallRule, 'pointer'>[] = [];
  const named = new Set<string>();
  const conditional = new Set<string>();
  const unconditional = new Set<string>();

  for (const rule of profile.syscalls) {
    const r = withoutPointer(rule);
    if (RUNS.has(r.action) || (r.action === 'SCMP_ACT_ERRNO' && r.errnoRet === ENOSYS)) {
      rules.push(r);
      for (const n of r.names) {
        named.add(n);
        if (RUNS.has(r.action)) (r.args.length > 0 ? conditional : unconditional).add(n);
      }
      continue;
    }
    const keep = r.names.filter((n) => critical.has(n));
    const rest = r.names.filter((n) => !critical.has(n));
    if (keep.length > 0) {
      rules.push({ ...r, names: keep });
      for (const n of keep) named.add(n);
    }
    if (rest.length > 0) {
      logged.push(...rest);
      if (defaultAction !== 'SCMP_ACT_LOG') {
        rules.push({
          names: rest,
          action: 'SCMP_ACT_LOG',
          args: r.args,
          comment: `audit twin: was ${r.action}${r.comment === undefined ? '' : `; ${r.comment}`}`,
        });
      }
    }
  }
  if (logged.length > 0)
    notes.push(
      `refusing rules now log instead: ${[...new Set(logged)].sort().join(', ')}${defaultAction === 'SCMP_ACT_LOG' ? ' (as the default does)' : ''}`,
    );
  for (const n of [...conditional].sort())
    if (critical.has(n) && !unconditional.has(n))
      notes.push(
        `${n}: critical and allowed only for some arguments; calls outside those arguments are logged, not refused`,
      );

  const libseccomp = opts.libseccomp ?? '2.6';
  const known = (n: string): boolean =>
    abis.length === 0 || abis.some((a) => libseccompKnows(a, n, libseccomp));
  const refuse = new Map<string, string | undefined>();
  const unnamed: string[] = [];
  // Critical calls the original refused by its default stay refused; a default that let every
  // call run (ALLOW, LOG) refused none.
  const defaultRefused = profile.defaultAction !== undefined && !RUNS.has(profile.defaultAction);
  for (const n of [...critical].sort()) {
    if (named.has(n) || !defaultRefused) continue;
    if (known(n)) refuse.set(n, undefined);
    else unnamed.push(n);
  }
  if (unnamed.length > 0 && defaultAction === 'SCMP_ACT_LOG')
    notes.push(
      `critical syscalls libseccomp ${libseccomp} cannot name: ${unnamed.join(', ')}; they get the default LOG`,
    );

  const policy: Policy = {
    defaultAction,
    architectures: profile.architectures,
    arch: abis[0] ?? 'x86_64',
    allow: new Map(),
    runtime: new Map(),
    clone3Enosys: false,
    refuse,
    dropped: new Map(),
    extra: rules,
  };
  const laid = layoutProfile(policy);
  // Without flags runc asks for SPEC_ALLOW itself; an explicit list must keep asking for it.
  const flags =
    opts.logRefusals === true
      ? [...new Set([...(profile.flags ?? ['SECCOMP_FILTER_FLAG_SPEC_ALLOW']), FILTER_FLAG_LOG])]
      : profile.flags;
  if (opts.logRefusals !== true)
    notes.push(
      'refusals (ERRNO) are not recorded by the kernel without SECCOMP_FILTER_FLAG_LOG (logRefusals; runc 1.1 refuses flags, runc 1.2 and crun load them); LOG and KILL outcomes are',
    );
  return {
    profile: {
      defaultAction,
      architectures: profile.architectures,
      syscalls: laid.syscalls,
      ...(flags !== undefined ? { flags } : {}),
      ...(profile.listenerPath !== undefined ? { listenerPath: profile.listenerPath } : {}),
      ...(profile.listenerMetadata !== undefined
        ? { listenerMetadata: profile.listenerMetadata }
        : {}),
    },
    notes,
  };
}
