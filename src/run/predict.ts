/**
 * What a probe's outcome must be, given the filter's return value: the bridge between an emulator's
 * answer and what the prober observes on the real kernel (kernel/seccomp.c `__seccomp_filter`).
 */
import { syscallName } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { execute, type CompiledProgram } from '../bpf/emulate.js';
import type { Instruction } from '../bpf/instruction.js';
import { SECCOMP_RET_DATA, actionKind } from '../bpf/seccomp.js';
import { combineStacked } from '../compile/decide.js';
import { STATE_FREE_SYSCALLS } from '../kb/state-free.js';
import {
  SIGSYS,
  probeArch,
  probeSeccompData,
  type Probe,
  type ProbeOutcome,
} from './probe-format.js';

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

/**
 * The return value of `filters` (installation order, oldest first; none: ALLOW) for `probe` on a
 * `host` machine, as the kernel combines stacked filters: each filter run by the BPF emulator on the
 * `seccomp_data` the probe makes.
 */
export function probeReturn(
  filters: readonly (readonly Instruction[] | CompiledProgram)[],
  probe: Probe,
  host: ArchName,
): number {
  const data = probeSeccompData(probe, host);
  return combineStacked(filters.map((f) => execute(f, data, 'host').ret)) >>> 0;
}

/**
 * Whether a probe on which the filter returns `ret` can share one process with other probes (the
 * prober's `inline`): the filter refuses it with ERRNO, so the kernel never runs it, or lets it run
 * (ALLOW, LOG) and it is a state-free call (kb `STATE_FREE_SYSCALLS`: no pointer written, nothing of
 * the process changed). Every other outcome can end, trap or change the prober: KILL_THREAD,
 * KILL_PROCESS, TRAP, TRACE and USER_NOTIF (a tracer or listener could do anything), and any other
 * call that runs (exit, execve, clone, signals, mmap, close, setuid...); those get a child each.
 */
export function mayShareProcess(ret: number, probe: Probe, host: ArchName): boolean {
  const kind = actionKind(ret);
  if (kind === 'errno') return true;
  if (kind !== 'allow' && kind !== 'log') return false;
  const name = syscallName(probeArch(host, probe.abi ?? 'native'), probe.nr);
  return name !== undefined && STATE_FREE_SYSCALLS.has(name);
}
