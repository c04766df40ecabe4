/**
 * What seccomp a running process really has: the mode and filter count from /proc/PID/status and,
 * as root, the filters themselves (PTRACE_SECCOMP_GET_FILTER through the prober's `--dump`).
 */
import { readFile } from 'node:fs/promises';
import { CAPABILITIES } from '../arch/constants.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { proberPath } from '../run/native.js';
import { execCollect } from '../run/process.js';

/** Seccomp mode of a process (`Seccomp:` in /proc/PID/status: 0, 1, 2). */
export type SeccompMode = 'disabled' | 'strict' | 'filter';

/** The seccomp-related lines of /proc/PID/status. */
export interface SeccompStatus {
  /** Seccomp mode. */
  readonly mode: SeccompMode;
  /** Number of filters attached (`Seccomp_filters:`, Linux >= 5.9), or undefined when not reported. */
  readonly filters: number | undefined;
  /** Whether no_new_privs is set (`NoNewPrivs:`). */
  readonly noNewPrivs: boolean;
  /** The bounding capability set (`CapBnd:`), as `CAP_*` names; undefined when not reported. */
  readonly boundingCaps: readonly string[] | undefined;
}

/** The `CAP_*` names of a capability mask as /proc prints it (hex). */
export function capsOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return Object.entries(CAPABILITIES)
    .filter(([, bit]) => (mask >> BigInt(bit)) & 1n)
    .map(([name]) => name);
}

/** Parse the seccomp-related fields of a /proc/PID/status text. */
export function parseProcStatus(text: string): SeccompStatus {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text)?.[1];
  const modeNum = field('Seccomp');
  if (modeNum === undefined)
    throw new RuntimeError(
      'procfs',
      'no Seccomp line in /proc/PID/status (kernel without CONFIG_SECCOMP?)',
    );
  const mode: SeccompMode = modeNum === '0' ? 'disabled' : modeNum === '1' ? 'strict' : 'filter';
  const filters = field('Seccomp_filters');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(text)?.[1];
  return {
    mode,
    filters: filters === undefined ? undefined : Number(filters),
    noNewPrivs: field('NoNewPrivs') === '1',
    boundingCaps: capBnd === undefined ? undefined : capsOfMask(capBnd),
  };
}

/** Read the seccomp status of process `pid`. */
export async function readSeccompStatus(pid: number): Promise<SeccompStatus> {
  if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`not a process id: ${pid}`);
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (e) {
    // A pid that names no process is bad input (exit 2); a procfs that cannot be read is the host's.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`no process with id ${pid}`, 'no-such-process');
    throw new RuntimeError('procfs', `cannot read /proc/${pid}/status`, { cause: e });
  }
  return parseProcStatus(text);
}

/** Parse the prober's `--dump` output into filters, newest first. */
export function parseFilterDump(stdout: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^filter (\d+) (\d+) ([0-9a-f]*)$/.exec(line);
    if (!m?.[3] || Number(m[1]) !== out.length || m[3].length !== Number(m[2]) * 16) {
      throw new RuntimeError('prober', `unexpected filter dump line: ${line.slice(0, 80)}`);
    }
    out.push(Uint8Array.from(Buffer.from(m[3], 'hex')));
  }
  return out;
}

/**
 * The raw `struct sock_filter[]` bytes of every filter attached to `pid`, newest first (the order in
 * which the kernel runs them). Needs CAP_SYS_ADMIN, no seccomp on the caller, and a process that can
 * be ptrace-attached; throws `RuntimeError` otherwise.
 */
export async function dumpFilters(
  pid: number,
  options: { readonly proberPath?: string } = {},
): Promise<Uint8Array[]> {
  if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`not a process id: ${pid}`);
  const r = await execCollect(proberPath(options.proberPath), ['--dump', String(pid)], {
    runtime: 'prober',
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) {
    const hint = /EPERM|EACCES|not permitted|denied/i.test(r.stderr)
      ? ' (needs root / CAP_SYS_ADMIN and no seccomp on sysgate itself)'
      : '';
    throw new RuntimeError(
      'prober',
      `cannot dump the filters of pid ${pid}: ${r.stderr.trim()}${hint}`,
      {
        exitCode: r.exitCode,
        stderr: r.stderr,
      },
    );
  }
  return parseFilterDump(r.stdout);
}

/** What `docker inspect` (or `podman inspect`, the same shape) says about a container's confinement. */
export interface ContainerSecurity {
  /** The engine that knows the container. */
  readonly engine: 'docker' | 'podman';
  /** Full container id. */
  readonly id: string;
  /** Container name without the leading slash. */
  readonly name: string;
  /** Whether it is running. */
  readonly running: boolean;
  /** Host pid of its first process (0 when not running). */
  readonly pid: number;
  /** `HostConfig.Privileged`. */
  readonly privileged: boolean;
  /** `HostConfig.SecurityOpt` (seccomp profile contents appear inline here). */
  readonly securityOpt: readonly string[];
  /** `HostConfig.CapAdd`. */
  readonly capAdd: readonly string[];
  /** `HostConfig.CapDrop`. */
  readonly capDrop: readonly string[];
}

/**
 * Ask Docker, then Podman, about a container (id or name): the first engine that knows it answers.
 * `engines` narrows the search (e.g. `['podman']`).
 */
export async function inspectContainer(
  ref: string,
  engines: readonly ('docker' | 'podman')[] = ['docker', 'podman'],
): Promise<ContainerSecurity> {
  let text: string | undefined;
  let engine: 'docker' | 'podman' = 'docker';
  const why: string[] = [];
  for (const e of engines) {
    const r = await execCollect(e, ['inspect', '--type', 'container', ref], {
      runtime: e,
      timeoutMs: 30_000,
    }).catch((err: unknown) => ({
      exitCode: 127,
      stdout: '',
      stderr: err instanceof Error ? err.message : String(err),
    }));
    if (r.exitCode === 0) {
      [text, engine] = [r.stdout, e];
      break;
    }
    why.push(`${e}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }
  if (text === undefined)
    throw new RuntimeError(engines[0] ?? 'docker', `no container ${ref} (${why.join('; ')})`);
  const [c] = JSON.parse(text) as {
    Id: string;
    Name: string;
    State: { Running: boolean; Pid: number };
    HostConfig: {
      Privileged: boolean;
      SecurityOpt: string[] | null;
      CapAdd: string[] | null;
      CapDrop: string[] | null;
    };
  }[];
  if (!c) throw new RuntimeError(engine, `no container ${ref}`);
  return {
    engine,
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    running: c.State.Running,
    pid: c.State.Pid,
    privileged: c.HostConfig.Privileged,
    securityOpt: c.HostConfig.SecurityOpt ?? [],
    capAdd: c.HostConfig.CapAdd ?? [],
    capDrop: c.HostConfig.CapDrop ?? [],
  };
}
