/**
 * systemd `SystemCallFilter=` output, written only where the translation is exact: systemd's filter
 * must allow and refuse the same calls on the same ABIs as runc would with the profile. systemd
 * filters names only (no arguments), knows one refusal (`SystemCallErrorNumber=`, or killing the
 * process without it) and always permits its `@default` group on an allow-list (src/kb/systemd.ts);
 * a profile outside that is refused with one issue per cause, each at its JSON pointer.
 */
import {
  archByScmpName,
  archInfo,
  errnoName,
  libseccompKnows,
  syscallNumber,
} from '../../arch/index.js';
import type { LibseccompVersion } from '../../arch/syscalls.js';
import type { ArchName } from '../../arch/types.js';
import { SYSTEMD_ARCH, SYSTEMD_DEFAULT_SET, SYSTEMD_VERSION } from '../../kb/systemd.js';
import { ProfileError, type ProfileIssue } from '../errors.js';
import type { ResolvedProfile } from '../resolve.js';

/** The `[Service]` settings of a translated profile. */
export interface SystemdFilter {
  /** `SystemCallFilter=` names, sorted. */
  readonly allow: readonly string[];
  /** `SystemCallErrorNumber=` (an errno name), absent when a refused call kills the process. */
  readonly errorNumber?: string;
  /** `SystemCallArchitectures=` values. */
  readonly architectures: readonly string[];
  /** Differences that change no allow/refuse decision (an errno, who is killed), in words. */
  readonly notes: readonly string[];
}

const EPERM = 1;

/** The ABIs runc loads the profile for: its architectures, or the host's own arch when none. */
function profileAbis(p: ResolvedProfile): ArchName[] {
  if (p.architectures.length === 0) return [p.host.arch];
  return p.architectures.flatMap((s) => {
    const a = archByScmpName(s);
    return a === undefined ? [] : [a.name];
  });
}

/**
 * The systemd filter deciding as `p` does, or a `ProfileError` naming every difference. systemd and
 * runc resolve names with the same `libseccomp`, and both skip the names it does not know.
 */
export function systemdFilter(p: ResolvedProfile, libseccomp: LibseccompVersion): SystemdFilter {
  const issues: ProfileIssue[] = [];
  const bad = (message: string, pointer: string): void => {
    issues.push({ code: 'systemd-unsupported', severity: 'error', message, pointer });
  };
  const notes: string[] = [];
  const defaultErrno = p.defaultErrnoRet ?? EPERM;
  let errorNumber: string | undefined;
  if (p.defaultAction === 'SCMP_ACT_ERRNO') {
    const name = errnoName(defaultErrno, p.host.arch);
    if (name === undefined)
      bad(`errno ${defaultErrno} has no name systemd accepts`, '/defaultErrnoRet');
    else errorNumber = name;
    notes.push(
      `runc answers ENOSYS for syscall numbers above the highest one the profile names; systemd answers ${name ?? defaultErrno} for those too (both refuse them)`,
    );
  } else if (p.defaultAction === 'SCMP_ACT_KILL' || p.defaultAction === 'SCMP_ACT_KILL_THREAD') {
    bad(
      `defaultAction ${p.defaultAction} kills the calling thread; systemd kills the whole process (use SCMP_ACT_KILL_PROCESS)`,
      '/defaultAction',
    );
  } else if (p.defaultAction !== 'SCMP_ACT_KILL_PROCESS') {
    bad(
      `defaultAction ${p.defaultAction}: systemd's allow-list refuses with an errno or kills the process, nothing else`,
      '/defaultAction',
    );
  }
  if (p.flags !== undefined && p.flags.length > 0) {
    bad(`systemd sets no seccomp flags (${p.flags.join(', ')})`, '/flags');
  }

  const allow = new Set<string>();
  for (const r of p.syscalls) {
    const sameAsDefault =
      r.action === p.defaultAction &&
      (r.action !== 'SCMP_ACT_ERRNO' || (r.errnoRet ?? EPERM) === defaultErrno);
    if (sameAsDefault) continue; // runc drops it too
    if (r.action !== 'SCMP_ACT_ALLOW') {
      bad(
        `${r.action}${r.errnoRet === undefined ? '' : `(${r.errnoRet})`} for ${r.names.join(', ')}: systemd has one refusal for every call`,
        r.pointer,
      );
    } else if (r.args.length > 0) {
      bad(
        `${r.names.join(', ')} allowed only for some arguments: SystemCallFilter= filters names, not arguments`,
        `${r.pointer}/args`,
      );
    } else for (const n of r.names) allow.add(n);
  }

  const abis = profileAbis(p);
  for (const abi of abis) {
    const allowedNrs = new Set<number>();
    const nrOf = (n: string): number | undefined =>
      libseccompKnows(abi, n, libseccomp) ? syscallNumber(abi, n) : undefined;
    for (const n of allow) {
      const nr = nrOf(n);
      if (nr !== undefined) allowedNrs.add(nr);
    }
    const extra = SYSTEMD_DEFAULT_SET.filter((n) => {
      const nr = nrOf(n);
      return nr !== undefined && !allowedNrs.has(nr);
    });
    if (extra.length > 0) {
      bad(
        `systemd ${SYSTEMD_VERSION} always permits its @default group on an allow-list; on ${abi} the profile refuses ${extra.join(', ')}`,
        '/syscalls',
      );
    }
  }
  const [first, ...rest] = issues;
  if (first !== undefined) throw new ProfileError([first, ...rest]);

  const local = archInfo(p.host.arch).name;
  const architectures =
    abis.length === 1 && abis[0] === local ? ['native'] : abis.map((a) => SYSTEMD_ARCH[a]);
  notes.push(
    'a call of an ABI the profile does not list is killed under both (runc: the thread, systemd: the process)',
  );
  const unknown = [...allow].filter((n) => abis.every((a) => !libseccompKnows(a, n, libseccomp)));
  if (unknown.length > 0) {
    notes.push(
      `left out, unknown to libseccomp ${libseccomp} on ${abis.join(', ')} (runc skips them too): ${unknown.join(', ')}`,
    );
  }
  return {
    allow: [...allow].filter((n) => !unknown.includes(n)).sort(),
    ...(errorNumber === undefined ? {} : { errorNumber }),
    architectures,
    notes,
  };
}

/** The `[Service]` lines of a translated profile. */
export function systemdLines(f: SystemdFilter): string[] {
  return [
    `SystemCallArchitectures=${f.architectures.join(' ')}`,
    `SystemCallFilter=${f.allow.join(' ')}`,
    ...(f.errorNumber === undefined ? [] : [`SystemCallErrorNumber=${f.errorNumber}`]),
  ];
}
