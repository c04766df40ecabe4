/**
 * Recording: run a command under strace and turn what it does into evidence while it runs.
 *
 * strace options (docs/semantics.md#strace-recording): `-f` (every thread and child), `-o FIFO` (never parse
 * strace's stderr, where its own messages interleave with the workload's), `-n` (the syscall number as
 * the kernel saw it: the authoritative key for compat and unknown calls), `-X raw` (constants as
 * numbers, so argument values need no name table), `-Y` (process names), `-e quiet=attach` (keep the
 * personality-switch lines `-o` would hide). The trace goes through a FIFO and is parsed as it is
 * written, so memory stays constant and progress is live; `saveTraceDir` tees the raw text to a file.
 *
 * Speed: strace and the workload are pinned to one CPU with `taskset -c N` when taskset exists and the
 * machine has more than one CPU (measured: about 8x faster and much steadier than unpinned, because
 * every traced syscall is a tracer/tracee round trip; docs/semantics.md#strace-overhead). The parser runs on the
 * other CPUs.
 *
 * Docker (`docker.image`): the workload is traced inside the container from the entrypoint's execve
 * on, so nothing the runtime does before it (runc init, whatever the runtime is) is recorded, for any
 * runtime. The host's strace, its shared libraries and its dynamic loader are bind-mounted read-only
 * at `/.sysgate` and started through that loader, so it works in any image (glibc, musl or none).
 * Only this recording run gets `--cap-add SYS_PTRACE --security-opt seccomp=unconfined` (strace needs
 * ptrace; a seccomp filter would hide the calls it refuses); the generated profile is enforced later.
 * The syscalls runc itself needs after loading the filter are added at generation (`target: docker`).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { archInfo, constantValue, syscallNumber, type ArchName } from '../arch/index.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { NotifyDecoder, type NotifiedCall } from '../trace/notify.js';
import { hostAbis, Observation } from '../trace/observe.js';
import type { StraceCallFields, StraceEvent } from '../trace/strace.js';
import { StraceScanner } from '../trace/strace-scan.js';
import { CrashLog } from './crashes.js';
import { toEvidence, type Evidence } from './evidence.js';
import { straceVersionAsync, toolVersions, type Provenance } from './provenance.js';
import { mergeEvidence } from './merge.js';
import { resolveSymbol } from './symbols.js';

/** Live numbers of a recording. */
export interface RecordProgress {
  /** Milliseconds since the command started. */
  readonly elapsedMs: number;
  /** Calls parsed so far. */
  readonly calls: number;
  /** Distinct (ABI, syscall) pairs so far. */
  readonly syscalls: number;
  /** Threads and processes seen so far. */
  readonly processes: number;
}

/** Recording a container instead of a host command. */
export interface DockerRecordOptions {
  /** Image to run. */
  readonly image: string;
  /** Extra `docker run` options (mounts, user, env). */
  readonly runArgs?: readonly string[];
  /** The docker client (default `docker`). */
  readonly dockerPath?: string;
}

/** Options of {@link record}. */
export interface RecordOptions {
  /** Command and arguments (in Docker mode: empty means the image's entrypoint and command). */
  readonly argv: readonly string[];
  /** Native ABI of this machine. */
  readonly host: ArchName;
  /** Working directory of the command. */
  readonly cwd?: string;
  /** Environment of the command (default: inherited). */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory to save the raw strace output in (`trace.strace`). */
  readonly saveTraceDir?: string;
  /** CPU to pin strace and the workload to; `false` disables pinning. Default: the last CPU when there are several. */
  readonly pinCpu?: number | false;
  /** Run strace and the workload under `nice -n N` (host and Docker client; not with `launch`). */
  readonly nice?: number;
  /** Called about every `progressIntervalMs` (default 250 ms) while the command runs. */
  readonly onProgress?: (p: RecordProgress) => void;
  /** Progress interval in milliseconds. */
  readonly progressIntervalMs?: number;
  /** `inherit` (default) gives the command this process's stdin/stdout/stderr; `pipe` captures its output. */
  readonly stdio?: 'inherit' | 'pipe';
  /** strace executable (default `strace` on PATH). */
  readonly stracePath?: string;
  /** Record inside a Docker container. */
  readonly docker?: DockerRecordOptions;
  /** Start the traced command some other way (in a sandbox) instead of on the host. */
  readonly launch?: RecordLauncher;
  /** The Docker image `launch` runs the command in (its identity goes into the provenance). */
  readonly image?: string;
  /** How calls are recorded: `strace` (default) or `seccomp` (a user-notification filter, see {@link SECCOMP_UNSEEN}). */
  readonly via?: RecordVia;
  /** The seccomp recorder (`native/notifrec`), required with `via: 'seccomp'` (the CLI finds it). */
  readonly notifrecPath?: string;
}

/** The recorders of `record --via`. */
export type RecordVia = 'strace' | 'seccomp';

/**
 * What `record --via seccomp` cannot see, as the evidence (`meta.unseen`) and `record --help` say it.
 * A seccomp filter is handed only seccomp_data (include/uapi/linux/seccomp.h: nr, arch, instruction
 * pointer, six argument registers) before the call runs.
 */
export const SECCOMP_UNSEEN: readonly string[] = [
  'return values and errno outcomes (a critical call that only ever failed with EPERM is allowed, not refused with EPERM)',
  'string and pointer arguments: paths, buffers and structs (clone3 flags, sockaddr families) are addresses only',
  'calls made before the filter was installed (none of the command: the filter is in place before its execve)',
  'calls another seccomp filter of the workload refuses (its ERRNO, TRAP or KILL verdict takes precedence)',
  "the new program's name on an execve: it is listed under the program that called it (names and executables come from /proc, symlinks resolved)",
];

/** A host path the traced command must see (strace, its libraries, the trace FIFO's directory). */
export interface TraceMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** How a launched, traced command ended, with what it printed. */
export interface LaunchedResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts strace's command line (`argv`, paths as seen inside) where the caller wants it, e.g. in a
 * sandbox, with `mounts` made visible there; resolves when it has ended.
 */
export type RecordLauncher = (
  argv: readonly string[],
  mounts: readonly TraceMount[],
) => Promise<LaunchedResult>;

/** What a recording produced. */
export interface RecordResult {
  /** The evidence (meta has the command, exit status and duration). */
  readonly evidence: Evidence;
  /** The command's exit status; 128+N when a signal N ended it. */
  readonly exitCode: number;
  /** Name of the signal that ended it, if one did. */
  readonly signal?: string;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Where the raw trace was saved. */
  readonly tracePath?: string;
  /** Parser warnings (`line: message`). */
  readonly warnings: readonly string[];
  /** The command's stdout, with `stdio: 'pipe'`. */
  readonly stdout?: string;
  /** The command's stderr (strace's own messages included), with `stdio: 'pipe'`. */
  readonly stderr?: string;
}

/** How to install strace, for the error message. */
export const STRACE_INSTALL_HINT =
  'install it with `apt-get install strace` (Debian/Ubuntu), `dnf install strace` or `apk add strace`';

/** The strace options used for recording, before `--` and the command. */
export function straceArgs(output: string): string[] {
  return ['-f', '-o', output, '-n', '-X', 'raw', '-Y', '-e', 'quiet=attach'];
}

/**
 * Whether `command` is an executable file: a path as given, a bare name on PATH. Looked up in the
 * file system (no process started: recording a short command should not cost a probe per tool).
 */
export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  const can = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return can(command);
  return path.split(delimiter).some((d) => d !== '' && can(join(d, command)));
}

let tasksetWorks: boolean | undefined;

/** Whether taskset is installed (checked once per process). */
function hasTaskset(): boolean {
  tasksetWorks ??= onPath('taskset');
  return tasksetWorks;
}

/** Check that strace is installed; throws a RuntimeError (exit 3) saying how to install it. */
export function requireStrace(stracePath = 'strace'): void {
  if (!onPath(stracePath)) {
    throw new RuntimeError(
      'strace',
      `${stracePath} is not installed or not on PATH: ${STRACE_INSTALL_HINT}`,
    );
  }
}

/** The CPU to pin to by default: the last one when there are several, else none. */
export function defaultPinCpu(): number | false {
  const n = availableParallelism();
  return n > 1 && hasTaskset() ? n - 1 : false;
}

/** Host paths strace needs to run inside a container: the binary, its libraries and the loader. */
export function straceBundle(stracePath: string): {
  binary: string;
  loader: string;
  libs: string[];
} {
  // The path is a positional parameter, never part of the script: `$(...)` in it is not expanded.
  const found = spawnSync('sh', ['-c', 'command -v -- "$1"', 'sh', stracePath], {
    encoding: 'utf8',
  }).stdout.trim();
  if (found === '')
    throw new RuntimeError(
      'strace',
      `${stracePath} is not installed or not on PATH: ${STRACE_INSTALL_HINT}`,
    );
  const binary = realpathSync(found);
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (ldd.error !== undefined || ldd.status !== 0)
    throw new RuntimeError(
      'strace',
      `cannot list the libraries of ${binary} with ldd: ${ldd.stderr}`,
    );
  const libs: string[] = [];
  let loader = '';
  for (const line of ldd.stdout.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow?.[1] !== undefined) libs.push(arrow[1]);
    else {
      const abs = /^\s*(\/\S+)/.exec(line);
      if (abs?.[1] !== undefined) loader = abs[1];
    }
  }
  if (loader === '')
    throw new RuntimeError(
      'strace',
      `cannot find the dynamic loader of ${binary} (is it static? then mount it directly)`,
    );
  return { binary, loader, libs };
}

/** What the docker client prints when it cannot reach the daemon. */
const DAEMON_DOWN =
  /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i;

/** Fail with a clear RuntimeError when the docker client is missing or its daemon is down. */
function requireDaemon(dockerPath: string): void {
  const r = spawnSync(dockerPath, ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error !== undefined)
    throw new RuntimeError('docker', `${dockerPath} is not installed or not on PATH`, {
      cause: r.error,
    });
  if (r.status !== 0 && DAEMON_DOWN.test(r.stderr))
    throw new RuntimeError(
      'docker',
      'the Docker daemon is not running or not reachable (start dockerd, or check DOCKER_HOST)',
      { exitCode: r.status, stderr: r.stderr },
    );
}

/** What `docker image inspect` says about an image: its id, registry digests, entrypoint + command. */
export function inspectImage(
  image: string,
  dockerPath = 'docker',
): { id: string; digests: string[]; argv: string[] } {
  const r = spawnSync(
    dockerPath,
    [
      'image',
      'inspect',
      '-f',
      // Podman's template names the id field `ID` (its JSON says "Id", as Docker's does).
      `{{json .Config.Entrypoint}}\n{{json .Config.Cmd}}\n{{json .${basename(dockerPath) === 'podman' ? 'ID' : 'Id'}}}\n{{json .RepoDigests}}`,
      image,
    ],
    { encoding: 'utf8' },
  );
  if (r.error !== undefined)
    throw new RuntimeError('docker', `${dockerPath} is not installed or not on PATH`, {
      cause: r.error,
    });
  if (r.status !== 0)
    throw new RuntimeError(
      'docker',
      DAEMON_DOWN.test(r.stderr)
        ? 'the Docker daemon is not running or not reachable (start dockerd, or check DOCKER_HOST)'
        : `cannot inspect image ${image}`,
      {
        exitCode: r.status,
        stderr: r.stderr,
      },
    );
  const [ep, cmd, id, digests] = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return {
    id: typeof id === 'string' ? id : '',
    digests: Array.isArray(digests)
      ? digests.filter((d): d is string => typeof d === 'string')
      : [],
    argv: [...((ep as string[] | null) ?? []), ...((cmd as string[] | null) ?? [])],
  };
}

function dockerCommand(image: string, dockerPath: string): Promise<string[]> {
  const { argv } = inspectImage(image, dockerPath);
  if (argv.length === 0)
    throw new UsageError(`image ${image} has no entrypoint or command: give one after --`);
  return Promise.resolve(argv);
}

/** Where the host's strace bundle and the trace FIFO's directory appear inside a container. */
const IN_SANDBOX = { dir: '/.sysgate', trace: '/.sysgate-trace' } as const;

/** The mounts that make the host's strace (binary, loader, libraries) and `fifo`'s directory visible inside. */
export function traceMounts(stracePath: string, fifo: string): TraceMount[] {
  const b = straceBundle(stracePath);
  return [
    { source: b.binary, target: `${IN_SANDBOX.dir}/strace`, readOnly: true },
    { source: b.loader, target: `${IN_SANDBOX.dir}/ld.so`, readOnly: true },
    ...b.libs.map((l) => ({
      source: l,
      target: `${IN_SANDBOX.dir}/lib/${basename(l)}`,
      readOnly: true,
    })),
    { source: dirname(fifo), target: IN_SANDBOX.trace, readOnly: false },
  ];
}

/** strace's command line inside: the host strace started through its own loader, tracing `argv`. */
function straceInside(fifo: string, argv: readonly string[]): string[] {
  return [
    `${IN_SANDBOX.dir}/ld.so`,
    '--library-path',
    `${IN_SANDBOX.dir}/lib`,
    `${IN_SANDBOX.dir}/strace`,
    ...straceArgs(`${IN_SANDBOX.trace}/${basename(fifo)}`),
    '--',
    ...argv,
  ];
}

/**
 * The full command line for a recording: `[file, ...args]`. In Docker mode the container's command is
 * the host strace started through its own loader, writing into the FIFO's directory mounted at `/.sysgate-trace`.
 */
export async function recordCommandLine(
  opts: RecordOptions,
  fifo: string,
  pin: number | false,
): Promise<string[]> {
  const strace = opts.stracePath ?? 'strace';
  const taskset = [
    ...(opts.nice === undefined ? [] : ['nice', '-n', String(opts.nice)]),
    ...(pin === false ? [] : ['taskset', '-c', String(pin)]),
  ];
  const seccomp = opts.via === 'seccomp';
  if (opts.docker === undefined)
    return seccomp
      ? [...taskset, notifrecOf(opts), ...notifrecArgs(fifo, opts.host), '--', ...opts.argv]
      : [...taskset, strace, ...straceArgs(fifo), '--', ...opts.argv];
  const docker = opts.docker.dockerPath ?? 'docker';
  requireDaemon(docker);
  const argv =
    opts.argv.length > 0 ? [...opts.argv] : await dockerCommand(opts.docker.image, docker);
  const mounts = (
    seccomp ? notifrecMounts(notifrecOf(opts), fifo) : traceMounts(strace, fifo)
  ).flatMap((m) => ['-v', `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`]);
  const [loader, ...inside] = (
    seccomp ? notifrecInside(fifo, argv, opts.host) : straceInside(fifo, argv)
  ) as [string, ...string[]];
  return [
    ...taskset,
    docker,
    'run',
    '--rm',
    '--label',
    'sysgate.managed=1', // the label the run layer puts on every container it starts
    ...(opts.stdio === 'pipe' ? [] : ['-i']),
    // strace needs ptrace; the seccomp recorder needs nothing (it sets no_new_privs when it must).
    ...(seccomp ? [] : ['--cap-add', 'SYS_PTRACE']),
    '--security-opt',
    'seccomp=unconfined',
    ...mounts,
    ...(opts.docker.runArgs ?? []),
    '--entrypoint',
    loader,
    opts.docker.image,
    ...inside,
  ];
}

/** Bytes read from the trace FIFO per read. */
const TRACE_READ = 1 << 20;
/**
 * A read that returned less than this waits before the next one. strace writes every line on its
 * own (one write per line), so a reader keeping up would get one line per read; waiting lets the
 * lines gather in the pipe (64 KiB) and come in one read, while strace never waits on a full pipe.
 */
const SHORT_READ = 16 * 1024;
const GATHER_MS = 2;

/**
 * Read the trace FIFO to its end into one reused buffer, handing each chunk to `onChunk` (which must
 * not keep it). `reader.fh` is the open FIFO, for the caller to close on failure.
 */
async function readTrace(
  fifo: string,
  reader: { fh?: FileHandle },
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const fh = await open(fifo, 'r');
  reader.fh = fh;
  try {
    const buf = Buffer.allocUnsafe(TRACE_READ);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      onChunk(buf.subarray(0, bytesRead));
      if (bytesRead < SHORT_READ) await new Promise((r) => setTimeout(r, GATHER_MS));
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The seccomp recorder's path, or a UsageError when the caller gave none. */
function notifrecOf(opts: RecordOptions): string {
  if (opts.notifrecPath === undefined)
    throw new UsageError('recording via seccomp needs the notifrec helper (notifrecPath)');
  return opts.notifrecPath;
}

/** Calls after which notifrec reads the caller's comm and executable again (exec, rename, exit). */
const REREAD_AFTER = ['execve', 'execveat', 'prctl', 'exit', 'exit_group'] as const;

/**
 * notifrec's options before `--` and the command: the output, and `-r ARCH:NR` for each call of
 * {@link REREAD_AFTER} on each ABI the host runs (numbers from sysgate's syscall tables).
 */
export function notifrecArgs(output: string, host: ArchName): string[] {
  const reread = hostAbis(host).flatMap((abi) =>
    REREAD_AFTER.flatMap((name) => {
      const nr = syscallNumber(abi, name);
      return nr === undefined ? [] : ['-r', `${archInfo(abi).auditArch}:${nr}`];
    }),
  );
  return ['-o', output, ...reread];
}

/** The mounts notifrec needs inside a container: the static binary itself and `fifo`'s directory. */
export function notifrecMounts(notifrec: string, fifo: string): TraceMount[] {
  return [
    { source: notifrec, target: `${IN_SANDBOX.dir}/notifrec`, readOnly: true },
    { source: dirname(fifo), target: IN_SANDBOX.trace, readOnly: false },
  ];
}

/** notifrec's command line inside a container, recording `argv`. */
function notifrecInside(fifo: string, argv: readonly string[], host: ArchName): string[] {
  return [
    `${IN_SANDBOX.dir}/notifrec`,
    ...notifrecArgs(`${IN_SANDBOX.trace}/${basename(fifo)}`, host),
    '--',
    ...argv,
  ];
}

/** Start the recording command on the host; resolves when it has ended. */
function startOnHost(
  file: string,
  args: readonly string[],
  opts: RecordOptions,
  out: Buffer[],
  errs: Buffer[],
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: opts.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => errs.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        new RuntimeError(
          file,
          e.code === 'ENOENT' ? `${file} is not installed or not on PATH` : e.message,
          { cause: e },
        ),
      );
    });
    child.on('close', (code, signal) => {
      resolve({ code, signal });
    });
  });
}

/** The provenance of a recording: date, command, image identity (for Docker), tool versions. */
function recordProvenance(
  opts: RecordOptions,
  date: string,
  straceVersion: string | undefined,
): Provenance {
  const name = opts.docker?.image ?? opts.image;
  const image =
    name === undefined ? undefined : { name, ...inspectImage(name, opts.docker?.dockerPath) };
  return {
    date,
    command: [...opts.argv],
    ...(image !== undefined
      ? { image: { name: image.name, id: image.id, digests: image.digests } }
      : {}),
    tools: toolVersions(straceVersion === undefined ? undefined : { strace: straceVersion }),
  };
}

/** Run a command under strace, parse the trace as it is written, and return evidence and the exit status. */
export async function record(opts: RecordOptions): Promise<RecordResult> {
  if (opts.argv.length === 0 && opts.docker === undefined)
    throw new UsageError('no command to record (give it after --)');
  const seccomp = opts.via === 'seccomp';
  if (seccomp && (opts.launch !== undefined || opts.saveTraceDir !== undefined))
    throw new UsageError(
      `recording via seccomp writes binary records, not strace text: ${opts.launch !== undefined ? 'a launcher' : 'saving the trace'} needs via strace`,
    );
  if (!seccomp) requireStrace(opts.stracePath);
  // strace's version for the provenance, asked while the command runs instead of before it.
  const straceVersion = seccomp
    ? Promise.resolve(undefined)
    : straceVersionAsync(opts.stracePath ?? 'strace');
  const work = mkdtempSync(join(tmpdir(), 'sysgate-record-'));
  const fifo = join(work, 'trace.fifo');
  const mk = spawnSync('mkfifo', ['-m', '0666', fifo], { encoding: 'utf8' });
  if (mk.error !== undefined || mk.status !== 0)
    throw new RuntimeError('mkfifo', `cannot create a FIFO in ${work}: ${mk.stderr}`);
  const pin = opts.pinCpu ?? defaultPinCpu();
  const cmd = await recordCommandLine(opts, fifo, pin);
  const [file, ...args] = cmd as [string, ...string[]];

  const obs = new Observation(opts.host, resolveSymbol);
  const parser = new StraceScanner({ maxWarnings: 100 }, 'trace');
  let tracePath: string | undefined;
  let tee: number | undefined;
  if (opts.saveTraceDir !== undefined) {
    mkdirSync(opts.saveTraceDir, { recursive: true });
    tracePath = join(opts.saveTraceDir, 'trace.strace');
    tee = openSync(tracePath, 'w');
  }

  const started = Date.now();
  const recordedAt = new Date(started).toISOString();
  const out: Buffer[] = [];
  const errs: Buffer[] = [];
  const exited =
    opts.launch !== undefined
      ? opts
          .launch(straceInside(fifo, opts.argv), traceMounts(opts.stracePath ?? 'strace', fifo))
          .then((r) => {
            out.push(Buffer.from(r.stdout));
            errs.push(Buffer.from(r.stderr));
            return { code: r.exitCode, signal: r.signal };
          })
      : startOnHost(file, args, opts, out, errs);
  // If strace never opens the FIFO (it failed early), opening the write end releases our reader.
  const release = (): void => {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting, or it already finished
    }
  };

  const timer =
    opts.onProgress === undefined
      ? undefined
      : setInterval(() => {
          opts.onProgress?.({
            elapsedMs: Date.now() - started,
            calls: obs.totalCalls,
            syscalls: obs.distinct,
            processes: obs.tids.size,
          });
        }, opts.progressIntervalMs ?? 250);

  const crashes = new CrashLog();
  const source = tracePath ?? 'trace';
  const sink = {
    call: (c: StraceCallFields): void => {
      obs.addCall(c, source);
    },
    event: (e: StraceEvent): void => {
      crashes.add(e, source);
    },
  };
  const decoder = new NotifyDecoder('seccomp');
  const onNotified = (c: NotifiedCall): void => {
    obs.addNotified(c, 'seccomp');
  };
  const reader: { fh?: FileHandle } = {};
  const parsing = readTrace(fifo, reader, (chunk) => {
    if (seccomp) {
      decoder.push(chunk, onNotified);
      return;
    }
    if (tee !== undefined) writeSync(tee, chunk);
    parser.pushBytes(chunk, sink);
  });
  let result: { code: number | null; signal: NodeJS.Signals | null };
  try {
    result = await exited.finally(release);
    await parsing;
  } catch (e) {
    // The run failed first: the parse, cut short by the closed FIFO, has nothing to add.
    parsing.catch(() => undefined);
    await reader.fh?.close().catch(() => undefined);
    throw e;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    if (tee !== undefined) closeSync(tee);
    rmSync(work, { recursive: true, force: true });
  }
  parser.endBytes(sink);
  const durationMs = Date.now() - started;
  const signal = result.signal ?? undefined;
  const exitCode =
    result.code ?? 128 + (signal === undefined ? 0 : Number(constantValue(signal) ?? 0n));
  const stderr = Buffer.concat(errs).toString('utf8');
  if (obs.totalCalls === 0) {
    throw new RuntimeError(
      opts.docker === undefined ? (seccomp ? 'notifrec' : 'strace') : 'docker',
      opts.docker !== undefined && DAEMON_DOWN.test(stderr)
        ? 'the Docker daemon is not running or not reachable (start dockerd, or check DOCKER_HOST)'
        : `the trace is empty: the command did not start under ${seccomp ? 'the seccomp recorder' : 'strace'}`,
      {
        exitCode,
        stderr,
      },
    );
  }
  const cut = seccomp ? decoder.finish() : undefined;
  const warnings = [
    ...parser.warnings.map((w) => `${w.line}: ${w.message}`),
    ...(cut !== undefined ? [`${decoder.calls + 1}: ${cut}`] : []),
  ];
  const evidence = toEvidence(obs, {
    sources: [seccomp ? 'seccomp' : (tracePath ?? 'strace')],
    ...(seccomp ? { recorder: 'seccomp' as const, unseen: SECCOMP_UNSEEN } : {}),
    command: opts.argv,
    ...(opts.docker !== undefined ? { image: opts.docker.image } : {}),
    provenance: [recordProvenance(opts, recordedAt, await straceVersion)],
    exitCode,
    durationMs,
    recordedAt,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(crashes.crashes.length > 0 ? { crashes: crashes.crashes } : {}),
    ...(parser.droppedPending > 0
      ? { inFlight: { max: parser.maxPending, dropped: parser.droppedPending } }
      : {}),
  });
  return {
    evidence,
    exitCode,
    ...(signal !== undefined ? { signal } : {}),
    durationMs,
    ...(tracePath !== undefined ? { tracePath } : {}),
    warnings,
    ...(opts.stdio === 'pipe' ? { stdout: Buffer.concat(out).toString('utf8'), stderr } : {}),
  };
}

/** How one of several recordings is scheduled (`record --runs N --vary-cpu`). */
export interface RunSchedule {
  /** CPU to pin to, or `false` for every CPU. */
  readonly pinCpu: number | false;
  /** `nice` level, when lowered. */
  readonly nice?: number;
  /** How it reads in the evidence: `1 CPU`, `all CPUs`, `1 CPU, nice 19`... */
  readonly label: string;
}

/**
 * The schedules of `runs` recordings. Without `varyCpu` every run is scheduled alike (pinned to one
 * CPU when the machine has several); with it the runs cycle through one CPU, every CPU, one CPU at
 * nice 19 and every CPU at nice 19, so that the workload's processes and threads interleave
 * differently (a pool's workers still alive or already gone at shutdown, a peer fast or slow).
 */
export function runSchedules(runs: number, varyCpu: boolean, pin = defaultPinCpu()): RunSchedule[] {
  const at = (cpu: number | false, nice?: number): RunSchedule => ({
    pinCpu: cpu,
    ...(nice !== undefined ? { nice } : {}),
    label: `${cpu === false ? 'all CPUs' : `CPU ${cpu}`}${nice !== undefined ? `, nice ${nice}` : ''}`,
  });
  const cycle = [at(pin), at(false), at(pin, 19), at(false, 19)];
  return Array.from(
    { length: runs },
    (_, i) => (varyCpu ? cycle[i % cycle.length] : undefined) ?? at(pin),
  );
}

/** One recording of several. */
export interface RunRecord {
  /** Its schedule's label. */
  readonly schedule: string;
  /** The command's exit status. */
  readonly exitCode: number;
  /** Wall time in milliseconds. */
  readonly durationMs: number;
  /** Distinct syscalls it saw. */
  readonly syscalls: number;
}

/** What {@link recordRuns} produced. */
export interface RecordRunsResult {
  /** The runs merged: per-syscall `coverage` is how many runs saw it, `meta.inputs` the runs. */
  readonly evidence: Evidence;
  /** Every run, in order. */
  readonly runs: readonly RunRecord[];
  /** The first non-zero exit status of a run, else 0. */
  readonly exitCode: number;
  /** Parser warnings of every run. */
  readonly warnings: readonly string[];
  /** Wall time of all runs in milliseconds. */
  readonly durationMs: number;
  /** Where the raw traces were saved. */
  readonly tracePaths: readonly string[];
}

/**
 * Record the same command `runs` times (one after the other, scheduled by {@link runSchedules})
 * and merge the evidence, so per-syscall coverage tells the calls every run made from those of
 * paths some runs took. `saveTraceDir` gets one `run-N/trace.strace` per run when there are several.
 */
export async function recordRuns(
  opts: RecordOptions,
  runs: number,
  varyCpu = false,
): Promise<RecordRunsResult> {
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new UsageError(`the number of runs must be a positive integer, not ${runs}`);
  const list: RecordResult[] = [];
  const schedules = runSchedules(runs, varyCpu, opts.pinCpu ?? defaultPinCpu());
  for (const [i, sch] of schedules.entries()) {
    list.push(
      await record({
        ...opts,
        pinCpu: sch.pinCpu,
        ...(sch.nice !== undefined ? { nice: sch.nice } : {}),
        ...(opts.saveTraceDir !== undefined && runs > 1
          ? { saveTraceDir: join(opts.saveTraceDir, `run-${i + 1}`) }
          : {}),
      }),
    );
  }
  const first = list[0];
  if (first === undefined) throw new UsageError('no runs recorded');
  const runRecords = list.map((r, i) => ({
    schedule: schedules[i]?.label ?? '',
    exitCode: r.exitCode,
    durationMs: r.durationMs,
    syscalls: r.evidence.syscalls.length,
  }));
  const merged = runs === 1 ? first.evidence : mergeEvidence(list.map((r) => r.evidence));
  const warnings = list.flatMap((r) => r.warnings);
  const evidence: Evidence =
    runs === 1
      ? merged
      : {
          ...merged,
          meta: {
            ...merged.meta,
            command: opts.argv,
            ...(opts.docker !== undefined ? { image: opts.docker.image } : {}),
            exitCode: runRecords.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
            durationMs: list.reduce((n, r) => n + r.durationMs, 0),
            ...(first.evidence.meta.recordedAt !== undefined
              ? { recordedAt: first.evidence.meta.recordedAt }
              : {}),
            runs: runRecords,
          },
        };
  return {
    evidence,
    runs: runRecords,
    exitCode: runRecords.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
    warnings,
    durationMs: list.reduce((n, r) => n + r.durationMs, 0),
    tracePaths: list.flatMap((r) => (r.tracePath !== undefined ? [r.tracePath] : [])),
  };
}
