/**
 * runc's action mapping (libcontainer/seccomp/seccomp_linux.go `getAction`): the one place that turns a
 * profile's action string and `errnoRet` into the libseccomp action value runc passes on.
 * - KILL and KILL_THREAD are the same action;
 * - ERRNO and TRACE carry `errnoRet` (default EPERM), cast to int16 by runc and kept as 16 bits, so
 *   65537 becomes 1;
 * - libseccomp then refuses ERRNO data from {@link ERRNO_LIMIT} on (`sys_chk_seccomp_action`; measured
 *   with 2.5.4: ERRNO(4094) accepted, ERRNO(4095) refused with EINVAL, as default and as rule action).
 */
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  actionKind,
} from '../bpf/seccomp.js';
import type { ActionName } from '../profile/types.js';

/** EPERM: runc's `errnoRet` when a rule or the default has none. */
export const EPERM = 1;

/** ERRNO data libseccomp refuses from this value on (`sys_chk_seccomp_action`: data must be below MAX_ERRNO). */
export const ERRNO_LIMIT = 4095;

/** The 16-bit ERRNO/TRACE data runc hands libseccomp for `errnoRet` (int16 cast, then 16 bits). */
export function effectiveErrno(errnoRet: number | undefined): number {
  // ToInt32 (what Go's int16 conversion keeps of the low bits), then the low 16 bits.
  return ((errnoRet ?? EPERM) & 0xffff) >>> 0;
}

/** The libseccomp action value runc builds for a profile action (`getAction`). */
export function runcActionValue(action: ActionName, errnoRet: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET_ERRNO | effectiveErrno(errnoRet)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET_TRACE | effectiveErrno(errnoRet)) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET_LOG;
    case 'SCMP_ACT_NOTIFY':
      return SECCOMP_RET_USER_NOTIF;
    default: {
      const never: never = action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

/**
 * The libseccomp macro of a runc action value, as C source and in messages: `SCMP_ACT_KILL_THREAD`,
 * `SCMP_ACT_ERRNO(1)`, `SCMP_ACT_TRACE(7)`.
 */
export function libseccompActionMacro(value: number): string {
  const data = value & SECCOMP_RET_DATA;
  switch (actionKind(value)) {
    case 'kill_thread':
      return 'SCMP_ACT_KILL_THREAD';
    case 'kill_process':
      return 'SCMP_ACT_KILL_PROCESS';
    case 'trap':
      return 'SCMP_ACT_TRAP';
    case 'errno':
      return `SCMP_ACT_ERRNO(${data})`;
    case 'trace':
      return `SCMP_ACT_TRACE(${data})`;
    case 'allow':
      return 'SCMP_ACT_ALLOW';
    case 'log':
      return 'SCMP_ACT_LOG';
    case 'user_notif':
      return 'SCMP_ACT_NOTIFY';
  }
}

/** runc's view of an action, for messages: `SCMP_ACT_KILL_THREAD`, `SCMP_ACT_ERRNO(1)`. */
export function runcAction(action: ActionName, errnoRet: number | undefined): string {
  return libseccompActionMacro(runcActionValue(action, errnoRet));
}

/** Whether ERRNO data of a runc action value is one libseccomp refuses. */
export function errnoRefused(value: number): boolean {
  return actionKind(value) === 'errno' && (value & SECCOMP_RET_DATA) >= ERRNO_LIMIT;
}
