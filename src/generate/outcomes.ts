/**
 * What a seccomp audit record proves. The kernel logs a call it let run (LOG, and ALLOW when asked
 * to) and calls it stopped (ERRNO, KILL_*, TRAP, TRACE, USER_NOTIF). Only the first kind is evidence
 * that the workload needs the call: a refused or killed `mount` in a Phase A log is the filter doing
 * its job, and turning it into an ALLOW rule would open exactly what the audit profile protected.
 * This module splits evidence into the calls that ran (what generation may allow) and the refusals
 * (reported, never allowed).
 */
import type { SeccompActionKind } from '../bpf/seccomp.js';
import { auditCallRan, auditCodeKind } from '../trace/audit.js';
import type { Evidence, EvidenceFirstSeen, EvidenceSyscall } from './evidence.js';

/** The outcome name of a refusal as users read it (`ERRNO`, `KILL_PROCESS`, ...), or `unknown`. */
export type RefusalAction = Uppercase<SeccompActionKind> | 'unknown';

/** Audit records of one syscall whose call the filter did not let run. */
export interface Refusal {
  /** ABI the call was made on. */
  readonly abi: EvidenceSyscall['abi'];
  /** Syscall name in that ABI's table. */
  readonly name: string;
  /** Refused records. */
  readonly count: number;
  /** Refused records per outcome. */
  readonly actions: Readonly<Partial<Record<RefusalAction, number>>>;
  /** Process names seen making the call (any outcome). */
  readonly processes: readonly string[];
  /** First sighting of the syscall (any outcome). */
  readonly firstSeen: EvidenceFirstSeen;
}

/** The outcome of a `logged` key as a {@link RefusalAction}. */
export function refusalAction(key: string): RefusalAction {
  const kind = auditCodeKind(key);
  return kind === undefined ? 'unknown' : (kind.toUpperCase() as Uppercase<SeccompActionKind>);
}

/** The refusals of one evidence entry (count 0 when every record, or the strace call, ran). */
function refusalOf(s: EvidenceSyscall): Refusal {
  const actions: Partial<Record<RefusalAction, number>> = {};
  let count = 0;
  for (const [key, n] of Object.entries(s.logged)) {
    if (auditCallRan(auditCodeKind(key))) continue;
    const a = refusalAction(key);
    actions[a] = (actions[a] ?? 0) + n;
    count += n;
  }
  return {
    abi: s.abi,
    name: s.name,
    count,
    actions,
    processes: s.processes,
    firstSeen: s.firstSeen,
  };
}

/**
 * Split evidence into the calls that ran (`need`: each entry's count lowered by its refused records,
 * entries with none left removed, `logged` keeping only LOG/ALLOW) and the refusals, sorted as the
 * evidence is. Evidence without audit records comes back unchanged, with no refusals.
 */
export function splitOutcomes(evidence: Evidence): { need: Evidence; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const kept: EvidenceSyscall[] = [];
  let refusedCalls = 0;
  for (const s of evidence.syscalls) {
    const r = refusalOf(s);
    if (r.count === 0) {
      kept.push(s);
      continue;
    }
    refusals.push(r);
    refusedCalls += r.count;
    const ran = s.count - r.count;
    if (ran <= 0) continue;
    const logged = Object.fromEntries(
      Object.entries(s.logged).filter(([k]) => auditCallRan(auditCodeKind(k))),
    );
    kept.push({ ...s, count: ran, logged });
  }
  if (refusals.length === 0) return { need: evidence, refusals };
  return {
    need: {
      ...evidence,
      totals: {
        ...evidence.totals,
        calls: Math.max(0, evidence.totals.calls - refusedCalls),
        syscalls: kept.length,
      },
      syscalls: kept,
    },
    refusals,
  };
}

/** One line per refused syscall for a report: `mount (x86_64): 1 refused (ERRNO 1) by umount`. */
export function describeRefusal(r: Refusal): string {
  const acts = Object.entries(r.actions)
    .map(([a, n]) => `${a} ${n}`)
    .join(', ');
  const who = r.processes.length === 0 ? '' : ` by ${r.processes.join(', ')}`;
  return `${r.name} (${r.abi}): ${r.count} record${r.count === 1 ? '' : 's'} refused (${acts})${who}, first at ${r.firstSeen.source}:${r.firstSeen.line}`;
}
