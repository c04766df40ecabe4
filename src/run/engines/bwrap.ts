/**
 * The bubblewrap engine: run a host command in fresh namespaces with a raw classic BPF program loaded
 * by `bwrap --seccomp FD` (several stacked with `--add-seccomp-fd FD`) right before it executes (bubblewrap also sets no_new_privs). The program
 * reaches bwrap through an inherited pipe on fd 3, so no temporary file is needed. The sandbox sees
 * the host's /usr and /etc read-only (secrets masked, see `hostRootfsLayout`) and what the caller
 * binds, nothing else of the host, and keeps no capabilities.
 */
import { execCollect, type ProcessResult } from '../process.js';
import { SANDBOX_ENV, hostRootfsLayout, type RootfsLayout } from '../rootfs.js';

/** A bind mount from the host into the sandbox. */
export interface BindMount {
  /** Host path. */
  readonly source: string;
  /** Path inside the sandbox; `source` when absent. */
  readonly target?: string;
  /** Mount read-only (the default). */
  readonly readOnly?: boolean;
}

/** How to run one command under bubblewrap. */
export interface BwrapRunOptions {
  /** Command and arguments; the command is looked up in the sandbox's PATH by bwrap. */
  readonly argv: readonly string[];
  /**
   * Raw `struct sock_filter[]` bytes (host byte order) for `--seccomp`; several are stacked in this order
   * with one `--add-seccomp-fd` each (a split program, see compile/codegen.ts); no filter when absent.
   */
  readonly filter?: Uint8Array | readonly Uint8Array[];
  /** Bytes handed to the command on inherited pipes from fd 3 upwards (after the filters' fds). */
  readonly extraFds?: readonly Uint8Array[];
  /** Text or bytes for the command's stdin. */
  readonly stdin?: string | Uint8Array;
  /** Extra bind mounts, on top of the host's read-only /usr and /etc. */
  readonly binds?: readonly BindMount[];
  /** Keep the host network namespace (default: a new one with only loopback). */
  readonly shareNet?: boolean;
  /** Working directory inside the sandbox. */
  readonly cwd?: string;
  /** Kill bwrap after this many milliseconds. */
  readonly timeoutMs?: number;
  /** The bwrap executable (default `bwrap` on PATH). */
  readonly bwrapPath?: string;
  /** What the sandbox sees of the host (default: `hostRootfsLayout()`). */
  readonly layout?: RootfsLayout;
}

/** The fd on which bwrap reads the (first) filter. */
const SECCOMP_FD = 3;

/** The filters of `options`, in load order. */
export function bwrapFilters(options: Pick<BwrapRunOptions, 'filter'>): readonly Uint8Array[] {
  const f = options.filter;
  return f === undefined ? [] : f instanceof Uint8Array ? [f] : f;
}

/**
 * bwrap's arguments for `options`: on a fresh tmpfs root, the layout's host directories read-only
 * with its top-level links, a private /proc, a minimal /dev and a private /tmp, then the caller's
 * binds, then the host's secrets masked (last, so no bind uncovers them). New user, pid, ipc, uts
 * and cgroup namespaces (network too unless `shareNet`), every capability dropped, a new session
 * (no TIOCSTI into the caller's terminal), none of the caller's environment (`SANDBOX_ENV` only),
 * and the sandbox dies with its parent.
 */
export function bwrapArgs(options: BwrapRunOptions): string[] {
  const layout = options.layout ?? hostRootfsLayout();
  const args: string[] = [];
  for (const d of layout.hostBinds) args.push('--ro-bind', d, d);
  for (const l of layout.symlinks) args.push('--symlink', l.target, `/${l.name}`);
  // bwrap leaves /proc/sys writable: uid 0 of the sandbox is the host's root, whose writes to
  // sysctls such as kernel.core_pattern need no capability. Cover it read-only (what it shows
  // follows the reader's own namespaces, whichever proc it comes from).
  args.push('--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys');
  args.push('--dev', '/dev', '--tmpfs', '/tmp');
  for (const b of options.binds ?? []) {
    args.push(b.readOnly === false ? '--bind' : '--ro-bind', b.source, b.target ?? b.source);
  }
  // A bind of /dev/null: bwrap mounts it nodev, so opening it fails with EACCES.
  for (const f of layout.maskedFiles) args.push('--ro-bind', '/dev/null', f);
  for (const d of layout.maskedDirs) args.push('--tmpfs', d, '--remount-ro', d);
  args.push(
    '--unshare-user',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup',
  );
  if (options.shareNet !== true) args.push('--unshare-net');
  args.push('--cap-drop', 'ALL', '--die-with-parent', '--new-session');
  // None of the caller's environment: only the sandbox's own variables.
  args.push('--clearenv');
  for (const [name, value] of SANDBOX_ENV) args.push('--setenv', name, value);
  if (options.cwd !== undefined) args.push('--chdir', options.cwd);
  const filters = bwrapFilters(options);
  if (filters.length === 1) args.push('--seccomp', String(SECCOMP_FD));
  else filters.forEach((_, i) => args.push('--add-seccomp-fd', String(SECCOMP_FD + i)));
  args.push('--', ...options.argv);
  return args;
}

/** Run a command under bubblewrap and collect its result (any exit status resolves). */
export function runBwrap(options: BwrapRunOptions): Promise<ProcessResult> {
  return execCollect(options.bwrapPath ?? 'bwrap', bwrapArgs(options), {
    runtime: 'bwrap',
    ...(options.stdin !== undefined && { stdin: options.stdin }),
    extraFds: [...bwrapFilters(options), ...(options.extraFds ?? [])],
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
}
