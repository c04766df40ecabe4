/**
 * Live sides of a diff: the filters a running process or Docker container really has, dumped as
 * `inspect` dumps them (diagnose/inspect.ts), in the order the kernel installed them.
 */
import { decodeProgram } from '../bpf/instruction.js';
import { dumpFilters, inspectContainer, readSeccompStatus } from '../diagnose/inspect.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import type { FilterSide } from './diff.js';

/** A live side: the filters of process `pid` (of a container when `container` is set). */
export interface LiveSide extends FilterSide {
  /** The process whose filters were read. */
  readonly pid: number;
  /** The container's name, when the side is a container. */
  readonly container?: string;
}

/**
 * The filters attached to process `pid`, oldest first; none when seccomp is off (every call runs).
 * Strict mode is not a filter and is refused. Dumping needs root (PTRACE_SECCOMP_GET_FILTER).
 */
export async function processSide(pid: number, label = `pid ${pid}`): Promise<LiveSide> {
  const status = await readSeccompStatus(pid);
  if (status.mode === 'strict')
    throw new UsageError(`${label} runs in seccomp strict mode, which has no filter to compare`);
  if (status.mode === 'disabled') return { label, pid, filters: [] };
  // The dump lists filters newest first, as the kernel runs them; the diff wants installation order.
  const filters = (await dumpFilters(pid)).map((b) => decodeProgram(b, 'host')).reverse();
  return { label, pid, filters };
}

/** The filters of a running Docker container's first process. */
export async function containerSide(ref: string): Promise<LiveSide> {
  const c = await inspectContainer(ref);
  if (!c.running) throw new RuntimeError('docker', `container ${ref} is not running`);
  const side = await processSide(c.pid, `container ${c.name}`);
  return { ...side, container: c.name };
}
