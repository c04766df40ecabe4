/**
 * Bounds on what a sandboxed workload may take: processes (a fork bomb), memory and time. The
 * container engines enforce the first two through cgroups (OCI `linux.resources.pids` and `.memory`
 * for runc and crun, `--pids-limit` and `--memory` for Docker); bubblewrap has no cgroup of its own, so
 * only the time bound applies there. Every run gets the defaults unless told otherwise.
 */
import { UsageError } from '../document/errors.js';

/** cgroup limits of one container; `undefined` in a field means no limit. */
export interface ResourceLimits {
  /** Most tasks (processes and threads) the container may hold. */
  readonly pids?: number;
  /** Most memory in bytes (swap included: the container gets no swap beyond it). */
  readonly memoryBytes?: number;
}

/** The default limits: room for any ordinary workload, not for a fork bomb or a runaway allocation. */
export const DEFAULT_LIMITS: ResourceLimits = Object.freeze({
  pids: 1024,
  memoryBytes: 4 * 1024 * 1024 * 1024,
});

/** `run`'s default time bound in seconds. */
export const DEFAULT_RUN_TIMEOUT_SECONDS = 600;

/** `doctor`'s default time bound for each of its two runs, in seconds. */
export const DEFAULT_DOCTOR_TIMEOUT_SECONDS = 120;

/** Units of `parseMemory`, as Docker reads them (binary multiples). */
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** `512m`, `4g`, `65536k`, `1048576` -> bytes; `0` means no limit (undefined). */
export function parseMemory(text: string): number | undefined {
  const m = /^(\d+)([bkmg]?)$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (m?.[1] === undefined || unit === undefined)
    throw new UsageError(`--memory expects a size such as 512m or 4g (0: no limit), got '${text}'`);
  const bytes = Number(m[1]) * unit;
  if (bytes === 0) return undefined;
  // Docker and the kernel refuse less than 6 MiB; a container could not even start.
  if (bytes < 6 * 1024 * 1024)
    throw new UsageError(`--memory must be at least 6m (Docker's minimum), got '${text}'`);
  return bytes;
}

/** A whole number of `what` (`--pids-limit 256`); `0` means no limit (undefined). */
export function parseCount(text: string, what: string): number | undefined {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError(`${what} expects a whole number (0: no limit), got '${text}'`);
  const n = Number(text);
  return n === 0 ? undefined : n;
}

/** Seconds (`--timeout 30`, `1.5`) -> milliseconds; `0` means no time bound (undefined). */
export function parseTimeout(text: string): number | undefined {
  if (!/^\d+(?:\.\d+)?$/.test(text.trim()))
    throw new UsageError(`--timeout expects seconds (0: no limit), got '${text}'`);
  const ms = Math.round(Number(text) * 1000);
  return ms === 0 ? undefined : ms;
}

/** The OCI `linux.resources` object for `limits` (empty when there are none). */
export function ociResources(limits: ResourceLimits): object {
  return {
    ...(limits.pids !== undefined && { pids: { limit: limits.pids } }),
    ...(limits.memoryBytes !== undefined && {
      memory: { limit: limits.memoryBytes, swap: limits.memoryBytes },
    }),
  };
}

/** The `docker run` arguments for `limits`. */
export function dockerLimitArgs(limits: ResourceLimits): string[] {
  return [
    ...(limits.pids !== undefined ? ['--pids-limit', String(limits.pids)] : []),
    ...(limits.memoryBytes !== undefined
      ? ['--memory', `${limits.memoryBytes}b`, '--memory-swap', `${limits.memoryBytes}b`]
      : []),
  ];
}
