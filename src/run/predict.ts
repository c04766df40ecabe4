/**
 * What a probe's outcome must be, given the filter's return value: the bridge between an emulator's
 * answer and what the prober observes on the real kernel (kernel/seccomp.c `__seccomp_filter`).
 */
import { SECCOMP_RET_DATA, actionKind } from '../bpf/seccomp.js';
import { combineStacked } from '../compile/decide.js';
import { SIGSYS, type ProbeOutcome } from './probe-format.js';

/** Largest errno the kernel lets a filter return (`MAX_ERRNO`); larger data is capped to it. */
const MAX_ERRNO = 4095;
/** ENOSYS: what TRACE without a tracer and USER_NOTIF without a listener return. */
const ENOSYS = 38;

/**
 * Combine the return values of stacked filters, newest first (the order the kernel runs them and the
 * prober's `--dump` lists them), as `seccomp_run_filters` does: compile/decide's `combineStacked`.
 */
export function stackedReturn(retsNewestFirst: readonly number[]): number {
  if (retsNewestFirst.length === 0)
    throw new RangeError('stackedReturn needs at least one filter result');
  return combineStacked([...retsNewestFirst].reverse());
}

/**
 * The outcome the prober reports for a syscall on which the filter returned `ret`, where `unfiltered`
 * is what the same call does with no filter (used for ALLOW and LOG). The prober must run forked and
 * without a tracer, so TRACE and USER_NOTIF both fail with ENOSYS.
 */
export function predictOutcome(ret: number, unfiltered: ProbeOutcome): ProbeOutcome {
  const kind = actionKind(ret);
  const data = ret & SECCOMP_RET_DATA;
  switch (kind) {
    case 'allow':
    case 'log':
      return unfiltered;
    case 'errno':
      return data === 0
        ? { kind: 'ok', value: 0n }
        : { kind: 'errno', errno: Math.min(data, MAX_ERRNO) };
    case 'trap':
      return { kind: 'trap', data };
    case 'trace':
    case 'user_notif':
      return { kind: 'errno', errno: ENOSYS };
    case 'kill_thread':
    case 'kill_process':
      return { kind: 'signal', signal: SIGSYS };
    default: {
      const never: never = kind;
      return never;
    }
  }
}
