/**
 * Kernel seccomp ABI constants and the `struct seccomp_data` the filter reads
 * (include/uapi/linux/seccomp.h). Classic BPF knows no syscall names; this file only knows the layout.
 * Action precedence and the errno cap: docs/semantics.md#kernel-actions.
 */

/** Kill the whole process (include/uapi/linux/seccomp.h). */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** Kill the calling thread (also SECCOMP_RET_KILL). */
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
/** Send SIGSYS. */
export const SECCOMP_RET_TRAP = 0x00030000;
/** Return -DATA as errno without running the call. */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** Notify a user-space listener. */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
/** Notify a ptrace tracer. */
export const SECCOMP_RET_TRACE = 0x7ff00000;
/** Allow after logging. */
export const SECCOMP_RET_LOG = 0x7ffc0000;
/** Allow. */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** Mask of the action part of a return value. */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** Mask of the data part of a return value. */
export const SECCOMP_RET_DATA = 0x0000ffff;

/** Offsets inside `struct seccomp_data`. */
export const SECCOMP_DATA_NR_OFFSET = 0;
/** Offset of `arch`. */
export const SECCOMP_DATA_ARCH_OFFSET = 4;
/** Offset of `instruction_pointer`. */
export const SECCOMP_DATA_IP_OFFSET = 8;
/** Offset of `args[0]`; `args[i]` is at 16 + 8i. */
export const SECCOMP_DATA_ARGS_OFFSET = 16;
/** sizeof(struct seccomp_data). */
export const SECCOMP_DATA_SIZE = 64;

/** The input of a seccomp filter. */
export interface SeccompData {
  /** Syscall number as the kernel sees it (signed int; x32 numbers carry bit 30). */
  readonly nr: number;
  /** AUDIT_ARCH_* token (u32). */
  readonly arch: number;
  /** Instruction pointer (u64). */
  readonly instructionPointer: bigint;
  /** The six arguments as u64 (a 32-bit ABI has its values zero-extended by the kernel). */
  readonly args: readonly [bigint, bigint, bigint, bigint, bigint, bigint];
}

/** The six `seccomp_data` arguments from up to six values: missing ones are 0, each taken modulo 2^64. */
export function seccompArgs(values: readonly bigint[]): SeccompData['args'] {
  const a = (i: number): bigint => BigInt.asUintN(64, values[i] ?? 0n);
  return [a(0), a(1), a(2), a(3), a(4), a(5)];
}

/** Serialize `data` to the 64 bytes the kernel hands the filter, in the given byte order. */
export function encodeSeccompData(data: SeccompData, endian: 'little' | 'big'): Uint8Array {
  const buf = new ArrayBuffer(SECCOMP_DATA_SIZE);
  const v = new DataView(buf);
  const le = endian === 'little';
  v.setInt32(SECCOMP_DATA_NR_OFFSET, data.nr | 0, le);
  v.setUint32(SECCOMP_DATA_ARCH_OFFSET, data.arch >>> 0, le);
  v.setBigUint64(SECCOMP_DATA_IP_OFFSET, BigInt.asUintN(64, data.instructionPointer), le);
  data.args.forEach((a, i) => {
    v.setBigUint64(SECCOMP_DATA_ARGS_OFFSET + 8 * i, BigInt.asUintN(64, a), le);
  });
  return new Uint8Array(buf);
}

/** The action classes, in the kernel's precedence order (strongest first). */
export type SeccompActionKind =
  'kill_process' | 'kill_thread' | 'trap' | 'errno' | 'user_notif' | 'trace' | 'log' | 'allow';

/**
 * Classify a filter return value like `__seccomp_filter` does: unknown actions behave like KILL_PROCESS.
 */
export function actionKind(ret: number): SeccompActionKind {
  switch ((ret & SECCOMP_RET_ACTION_FULL) >>> 0) {
    case SECCOMP_RET_KILL_PROCESS:
      return 'kill_process';
    case SECCOMP_RET_KILL_THREAD:
      return 'kill_thread';
    case SECCOMP_RET_TRAP:
      return 'trap';
    case SECCOMP_RET_ERRNO:
      return 'errno';
    case SECCOMP_RET_USER_NOTIF:
      return 'user_notif';
    case SECCOMP_RET_TRACE:
      return 'trace';
    case SECCOMP_RET_LOG:
      return 'log';
    case SECCOMP_RET_ALLOW:
      return 'allow';
    default:
      return 'kill_process';
  }
}

/** Whether an action lets the syscall run (ALLOW, LOG); every other one stops it. */
export function actionRuns(kind: SeccompActionKind): boolean {
  return kind === 'allow' || kind === 'log';
}
