/**
 * The one place sysgate starts child processes (bwrap, runc, crun, docker, the prober, workloads) and
 * collects what they print. Library code: nothing is printed; failures to start become `RuntimeError`s.
 *
 * Every child is the leader of its own process group (a new session), so a timeout or an interrupt
 * reaches the whole tree the runtime started, not only its first process. Captured output reaches the
 * child through real pipes (FIFOs, not Node's socket pairs: a workload whose stdout is a socket makes
 * calls it never makes on a terminal, a pipe or a file) and only the first `maxOutputBytes` of each
 * stream are kept; the rest is read and dropped, so neither memory nor the disk grows with what a
 * workload prints.
 *
 * Workloads (`forwardSignals`) get the SIGINT, SIGTERM or SIGHUP sysgate receives, forwarded to their
 * process group; if they are still running `killGraceMs` later (or on a second signal) the group is
 * killed. `guardSignals` keeps those signals from ending sysgate while a caller cleans up (deletes a
 * container, removes a bundle); the caller then learns which signal came and ends the command.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../document/errors.js';

/** Bytes of each output stream kept by default (the rest is read and dropped). */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** Milliseconds a workload has to end after a forwarded signal before its group is killed. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** Milliseconds to wait, after a child exits, for the last bytes of its output (descendants may hold the pipe). */
const DRAIN_MS = 2000;

/** The signals sysgate forwards to workloads and holds off during cleanup. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What a finished child process left behind. */
export interface ProcessResult {
  /** Exit status, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** Name of the signal that ended it (e.g. `SIGKILL`), or null. */
  readonly signal: NodeJS.Signals | null;
  /** What was written to stdout, as UTF-8 (the first `maxOutputBytes`). */
  readonly stdout: string;
  /** What was written to stderr, as UTF-8 (the first `maxOutputBytes`). */
  readonly stderr: string;
  /** True when `timeoutMs` expired and the process was killed. */
  readonly timedOut: boolean;
  /** Bytes dropped from each stream beyond `maxOutputBytes`; absent when nothing was dropped. */
  readonly truncated?: { readonly stdout: number; readonly stderr: number };
  /** A signal sysgate received (and forwarded) while the process ran. */
  readonly interrupted?: NodeJS.Signals;
}

/** Where a child's stdout or stderr goes: collected, this process's own, nowhere, or an open fd. */
export type OutputSink = 'capture' | 'inherit' | 'ignore' | number;

/** How to run a child process. */
export interface ExecOptions {
  /** Bytes or text fed to stdin, which is then closed; stdin is empty when absent. */
  readonly stdin?: string | Uint8Array;
  /** Give the child this process's stdin instead (`stdin` is then ignored). */
  readonly inheritStdin?: boolean;
  /** Where stdout goes (default `capture`). */
  readonly stdout?: OutputSink;
  /** Where stderr goes (default `capture`). */
  readonly stderr?: OutputSink;
  /**
   * Extra file descriptors from 3 upwards, each filled with the given bytes through a pipe that is
   * then closed (how `bwrap --seccomp 3` receives its program).
   */
  readonly extraFds?: readonly Uint8Array[];
  /** Kill the child's process group (SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Forward SIGINT, SIGTERM and SIGHUP to the child's process group while it runs (workloads). */
  readonly forwardSignals?: boolean;
  /** Milliseconds between a forwarded signal and SIGKILL (default `DEFAULT_KILL_GRACE_MS`). */
  readonly killGraceMs?: number;
  /** Bytes of each captured stream to keep (default `DEFAULT_MAX_OUTPUT_BYTES`). */
  readonly maxOutputBytes?: number;
  /** Working directory. */
  readonly cwd?: string;
  /** Environment; the parent's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** Name used in errors, e.g. `bwrap`; defaults to the file name. */
  readonly runtime?: string;
}

/** A child process started by {@link spawnProcess}. */
export interface RunningProcess {
  /** Its pid (also its process group id). */
  readonly pid: number | undefined;
  /** Resolves when it has exited and its output is read; rejects with a `RuntimeError` when it cannot start. */
  readonly done: Promise<ProcessResult>;
  /** Send `signal` (default SIGKILL) to its whole process group. */
  kill(signal?: NodeJS.Signals): void;
}

// ---- Signals -------------------------------------------------------------------------------------

/** Children that receive forwarded signals. */
const forwardees = new Set<(signal: NodeJS.Signals) => void>();
/** Open `guardSignals` scopes (and running forwarding children). */
let guards = 0;
/** The first signal received while a guard was open; cleared when the last guard closes. */
let received: NodeJS.Signals | undefined;

/** Record the signal and hand it to every forwarding child. */
function onSignal(signal: NodeJS.Signals): void {
  received ??= signal;
  for (const forward of forwardees) forward(signal);
}

/** Open a guard: from now on SIGINT, SIGTERM and SIGHUP no longer end this process. */
function acquireGuard(): void {
  if (guards++ === 0) for (const s of FORWARDED_SIGNALS) process.on(s, onSignal);
}

/** Close a guard; the last one restores the default handling. */
function releaseGuard(): void {
  if (--guards > 0) return;
  for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
  received = undefined;
}

/** The signal received since the outermost open guard began, if any. */
export function receivedSignal(): NodeJS.Signals | undefined {
  return received;
}

/**
 * Run `task` with SIGINT, SIGTERM and SIGHUP held off: they are recorded (and forwarded to workloads
 * started with `forwardSignals`) instead of ending this process, so that `task`'s cleanup runs.
 * `task` reads the signal with `receivedSignal()` and decides how to end.
 */
export async function guardSignals<T>(task: () => Promise<T>): Promise<T> {
  acquireGuard();
  try {
    return await task();
  } finally {
    releaseGuard();
  }
}

// ---- Output --------------------------------------------------------------------------------------

/** A bounded collector of one output stream. */
class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes dropped beyond the limit. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  /** Keep what fits, count the rest. */
  push(b: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= b.length) {
      this.chunks.push(b);
      this.kept += b.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(b.subarray(0, room));
      this.kept += room;
    }
    this.dropped += b.length - Math.max(room, 0);
  }

  /** The kept bytes as UTF-8. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Open `n` FIFOs: for each, the read end (ours) and the write end (the child's). The FIFOs' directory
 * is removed at once; the open descriptors keep the pipes alive, so nothing is left on disk.
 */
function openFifos(n: number): { read: number; write: number }[] {
  if (n === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-pipe-'));
  try {
    const paths = Array.from({ length: n }, (_, i) => join(dir, String(i)));
    // coreutils' mkfifo (Node has no mkfifo); found even when PATH was narrowed.
    const r = spawnSync('mkfifo', ['-m', '600', ...paths], {
      stdio: 'ignore',
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/bin:/bin` },
    });
    if (r.error !== undefined || r.status !== 0)
      throw new RuntimeError('mkfifo', `cannot create pipes in ${dir} with mkfifo`, {
        cause: r.error,
      });
    return paths.map((p) => {
      const read = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK);
      return { read, write: openSync(p, constants.O_WRONLY) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Spawning ------------------------------------------------------------------------------------

/**
 * Every descendant of `pid` now, from /proc. A sandbox may move its inner processes to sessions of
 * their own (bwrap's `--new-session` pid-namespace init), out of reach of a signal to our group.
 */
function descendants(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // Gone.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      queue.push(c);
    }
  }
  return found;
}

/** SIGKILL each of `pids`, ignoring those already gone. */
function killAll(pids: readonly number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Send `signal` to the process group of `pid` (falling back to the process itself). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Start `file args` in its own process group. `done` resolves for any exit status and rejects with a
 * `RuntimeError` only when the program cannot be started at all (e.g. not installed).
 */
export function spawnProcess(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): RunningProcess {
  const runtime = options.runtime ?? file;
  const extra = options.extraFds ?? [];
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const sinks = [options.stdout ?? 'capture', options.stderr ?? 'capture'] as const;
  const captured = sinks.filter((s) => s === 'capture').length;
  const fifos = openFifos(captured);
  const buffers = [new BoundedBuffer(limit), new BoundedBuffer(limit)] as const;
  const readers: Socket[] = [];
  let next = 0;
  const childStdio = sinks.map((s, i) => {
    if (s !== 'capture') return s === 'inherit' ? 'inherit' : s === 'ignore' ? 'ignore' : s;
    const fifo = fifos[next++] as { read: number; write: number };
    const reader = new Socket({ fd: fifo.read, readable: true, writable: false });
    reader.on('data', (b: Buffer) => {
      buffers[i]?.push(b);
    });
    reader.on('error', () => undefined);
    readers.push(reader);
    return fifo.write;
  });
  const stdio: StdioOptions = [
    options.inheritStdin === true ? 'inherit' : 'pipe',
    ...childStdio,
    ...extra.map(() => 'pipe' as const),
  ];
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    stdio,
    detached: true,
  });
  // The child holds the write ends now; ours would keep the pipes from ever ending.
  for (const f of fifos) closeSync(f.write);
  const pid = child.pid;

  let timedOut = false;
  let interrupted: NodeJS.Signals | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  // What the child had started when it was told to end: killed too once the child is gone.
  let stragglers: number[] = [];
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stragglers = descendants(pid);
          killGroup(pid, 'SIGKILL');
          killAll(stragglers);
        }, options.timeoutMs);
  const forward = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) {
      killGroup(pid, 'SIGKILL');
      killAll(descendants(pid));
      return;
    }
    interrupted = signal;
    stragglers = descendants(pid);
    killGroup(pid, signal);
    graceTimer = setTimeout(() => {
      killGroup(pid, 'SIGKILL');
      killAll(descendants(pid));
    }, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  if (options.forwardSignals === true) {
    acquireGuard();
    forwardees.add(forward);
  }
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    if (options.forwardSignals === true) {
      forwardees.delete(forward);
      releaseGuard();
    }
  };

  const ended = readers.map(
    (r) =>
      new Promise<void>((resolve) => {
        r.on('close', () => {
          resolve();
        });
      }),
  );
  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (finished) return;
      finish();
      for (const r of readers) r.destroy();
      const hint =
        e.code === 'ENOENT'
          ? `${file} is not installed or not on PATH`
          : `cannot start ${file}: ${e.message}`;
      reject(new RuntimeError(runtime, hint, { cause: e }));
    });
    child.on('exit', (exitCode, signal) => {
      if (finished) return;
      finish();
      // An interrupted or timed-out sandbox leaves nothing running behind its first process.
      if (interrupted !== undefined || timedOut) killAll(stragglers);
      // Read what is still in the pipes; a descendant that keeps them open is not waited for long.
      const drain = setTimeout(() => {
        for (const r of readers) r.destroy();
      }, DRAIN_MS);
      void Promise.all(ended).then(() => {
        clearTimeout(drain);
        const [out, err] = buffers;
        resolve({
          exitCode,
          signal,
          stdout: out.text(),
          stderr: err.text(),
          timedOut,
          ...((out.dropped > 0 || err.dropped > 0) && {
            truncated: { stdout: out.dropped, stderr: err.dropped },
          }),
          ...(interrupted !== undefined && { interrupted }),
        });
      });
    });
  });

  // A child that exits early closes its pipes; EPIPE on our side is expected and not an error.
  const feed = (
    stream: NodeJS.WritableStream | null | undefined,
    data: string | Uint8Array | undefined,
  ): void => {
    if (!stream) return;
    stream.on('error', () => undefined);
    if (data !== undefined && data.length > 0) stream.write(data);
    stream.end();
  };
  if (options.inheritStdin !== true) feed(child.stdin, options.stdin);
  extra.forEach((bytes, i) => {
    feed(child.stdio[3 + i] as NodeJS.WritableStream | null, bytes);
  });
  return {
    pid,
    done,
    kill: (signal = 'SIGKILL') => {
      killGroup(pid, signal);
    },
  };
}

/**
 * Run `file args` to completion and collect its output. Resolves for any exit status; rejects with a
 * `RuntimeError` only when the program cannot be started at all (e.g. not installed).
 */
export function execCollect(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ProcessResult> {
  return spawnProcess(file, args, options).done;
}

/** How a finished process ended, in words (`exited with 2`, `timed out`, `was killed by SIGKILL`). */
export function describeEnd(r: ProcessResult): string {
  return r.timedOut
    ? 'timed out'
    : r.signal !== null
      ? `was killed by ${r.signal}`
      : `exited with ${r.exitCode}`;
}

/** Run a command and return its stdout; a non-zero exit becomes a `RuntimeError` carrying stderr. */
export async function execOk(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const r = await execCollect(file, args, options);
  if (r.exitCode !== 0) {
    throw new RuntimeError(
      options.runtime ?? file,
      `${file} ${args.join(' ')} ${describeEnd(r)}: ${r.stderr.trim()}`,
      {
        exitCode: r.exitCode,
        stderr: r.stderr,
      },
    );
  }
  return r.stdout;
}

/**
 * Run a command whose children outlive it (`runc run -d`, `docker run -d`): stdin and stdout are
 * /dev/null and stderr goes to a temporary file, so that no pipe stays open after the command exits.
 */
export async function execDetached(
  file: string,
  args: readonly string[],
  options: Pick<ExecOptions, 'cwd' | 'runtime' | 'timeoutMs'> = {},
): Promise<{ readonly exitCode: number | null; readonly stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-detached-'));
  const errPath = join(dir, 'stderr');
  const fd = openSync(errPath, 'w+');
  try {
    const r = await execCollect(file, args, { ...options, stdout: 'ignore', stderr: fd });
    return { exitCode: r.exitCode, stderr: readFileSync(errPath, 'utf8').slice(0, 65536) };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
