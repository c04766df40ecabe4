/**
 * Spawning the real tools (bwrap, runc, crun, docker, the prober) and collecting what they print.
 * Library code: nothing is printed; failures to start become `RuntimeError`s.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';

/** What a finished child process left behind. */
export interface ProcessResult {
  /** Exit status, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** Name of the signal that ended it (e.g. `SIGKILL`), or null. */
  readonly signal: NodeJS.Signals | null;
  /** Everything written to stdout, as UTF-8. */
  readonly stdout: string;
  /** Everything written to stderr, as UTF-8. */
  readonly stderr: string;
  /** True when `timeoutMs` expired and the process was killed. */
  readonly timedOut: boolean;
}

/** How to run a child process. */
export interface ExecOptions {
  /** Bytes or text fed to stdin, which is then closed; stdin is empty when absent. */
  readonly stdin?: string | Uint8Array;
  /**
   * Extra file descriptors from 3 upwards, each filled with the given bytes through a pipe that is
   * then closed (how `bwrap --seccomp 3` receives its program).
   */
  readonly extraFds?: readonly Uint8Array[];
  /** Kill the child (SIGKILL) after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Working directory. */
  readonly cwd?: string;
  /** Environment; the parent's when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** Name used in errors, e.g. `bwrap`; defaults to the file name. */
  readonly runtime?: string;
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
  const runtime = options.runtime ?? file;
  const extra = options.extraFds ?? [];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe', ...extra.map(() => 'pipe' as const)],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const hint =
        e.code === 'ENOENT'
          ? `${file} is not installed or not on PATH`
          : `cannot start ${file}: ${e.message}`;
      reject(new RuntimeError(runtime, hint, { cause: e }));
    });
    child.on('close', (exitCode, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
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
    feed(child.stdin, options.stdin);
    extra.forEach((bytes, i) => {
      feed(child.stdio[3 + i] as NodeJS.WritableStream | null, bytes);
    });
  });
}

/** Run a command and return its stdout; a non-zero exit becomes a `RuntimeError` carrying stderr. */
export async function execOk(
  file: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<string> {
  const r = await execCollect(file, args, options);
  if (r.exitCode !== 0) {
    const how = r.timedOut
      ? 'timed out'
      : r.signal !== null
        ? `was killed by ${r.signal}`
        : `exited with ${r.exitCode}`;
    throw new RuntimeError(
      options.runtime ?? file,
      `${file} ${args.join(' ')} ${how}: ${r.stderr.trim()}`,
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
  const fd = openSync(errPath, 'w');
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'ignore', fd] });
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(
          new RuntimeError(options.runtime ?? file, `cannot start ${file}: ${e.message}`, {
            cause: e,
          }),
        );
      });
      child.on('exit', (code) => {
        if (timer) clearTimeout(timer);
        resolve(code);
      });
    });
    return { exitCode, stderr: readFileSync(errPath, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
