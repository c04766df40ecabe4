/**
 * The Docker engine: `docker run --security-opt seccomp=FILE`, by default on a tiny image sysgate
 * builds itself with `docker import` (no registry needed) and with the host's /usr and /etc mounted
 * read-only, without network. The profile reaches Docker as a file the CLI reads, so Docker (moby)
 * resolves it exactly as it would a user's `--security-opt`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../../document/errors.js';
import { stringifyJson, type JsonValue } from '../../profile/convert/json.js';
import { execCollect, execOk, type ProcessResult } from '../process.js';
import { SANDBOX_PROBER, hostRootfsLayout, rootfsTar } from '../rootfs.js';
import type { BindMount } from './bwrap.js';
import { stuckRuncInits } from './oci.js';
import { DEFAULT_LIMITS, dockerLimitArgs, type ResourceLimits } from '../limits.js';

/** The image sysgate builds from host directories. */
export const DEFAULT_IMAGE = 'sysgate/base:local';

/** Label on every container sysgate starts (`docker ps -a --filter label=sysgate.managed`). */
export const CONTAINER_LABEL = 'sysgate.managed=1';

/** A fresh container name. */
function containerName(): string {
  return `sysgate-${randomBytes(6).toString('hex')}`;
}

/**
 * Remove a container by name, quietly: a container whose start failed stays in the Created state, and
 * one whose client was killed on a timeout keeps running, even with `--rm`.
 */
export async function removeContainer(name: string): Promise<void> {
  // A runc init its own filter half killed wedges the daemon on this container: end it first.
  const stuck = await stuckInitOf(name);
  if (stuck !== undefined) killQuietly(stuck);
  await execCollect('docker', ['rm', '-f', name], { runtime: 'docker', timeoutMs: 60_000 });
}

/** SIGKILL a process that may already be gone. */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * The pid of the runc init of container `name` if its own seccomp filter left it stuck (see
 * `stuckRuncInits`): Docker's runc names the container by its full id, so the name is looked up.
 */
export async function stuckInitOf(name: string): Promise<number | undefined> {
  const stuck = stuckRuncInits();
  if (stuck.length === 0) return undefined;
  const ours = await execCollect(
    'docker',
    ['ps', '-a', '--no-trunc', '-q', '--filter', `name=^${name}$`],
    { runtime: 'docker', timeoutMs: 10_000 },
  ).catch(() => undefined);
  const id = ours?.stdout.trim();
  return stuck.find((s) => s.containerId === id)?.pid;
}

/**
 * The seccomp setting of a container: `unconfined`, a profile's text (handed to Docker byte for
 * byte), or a profile document (its bigints written as exact decimal literals).
 */
export type DockerSeccomp = string | object;

/**
 * The sandbox of every container sysgate starts, one description for `run`, `test`, `doctor` and
 * `record --docker` (see `dockerSandboxArgs`).
 */
export interface DockerSandbox {
  /** Image (default `DEFAULT_IMAGE`, built on demand); host binds are added only for the default. */
  readonly image?: string;
  /** `--network` value; `none` by default. */
  readonly network?: string;
  /** Extra bind mounts. */
  readonly binds?: readonly BindMount[];
  /** Working directory inside the container (`--workdir`; the image's when absent). */
  readonly cwd?: string;
  /**
   * Host path of a prober to bind read-only at /sysgate/prober (`proberPath()`), so it can run
   * inside; none when absent (Docker would create a missing source as an empty root-owned directory).
   */
  readonly prober?: string;
  /** cgroup limits (default `DEFAULT_LIMITS`). */
  readonly limits?: ResourceLimits;
}

/** How to run one container. */
export interface DockerRunOptions extends DockerSandbox {
  /** Command and arguments inside the container. */
  readonly argv: readonly string[];
  /** Docker or OCI seccomp profile; Docker's built-in default when absent. */
  readonly seccomp?: DockerSeccomp;
  /** Text or bytes for stdin (the container is run with `-i`). */
  readonly stdin?: string | Uint8Array;
  /** Further `docker run` arguments placed before the image (e.g. `--cap-add`). */
  readonly extraArgs?: readonly string[];
  /** Kill the docker client after this many milliseconds. */
  readonly timeoutMs?: number;
}

/** A container left running (see `startDocker`). */
export interface StartedContainer {
  /** Container id (or runtime container name). */
  readonly id: string;
  /** Host pid of the container's first process. */
  readonly pid: number;
  /** Run another process in the container (same seccomp profile), collecting its output. */
  exec(
    argv: readonly string[],
    stdin?: string | Uint8Array,
    timeoutMs?: number,
  ): Promise<ProcessResult>;
  /** Kill and remove the container. */
  stop(): Promise<void>;
}

/** Fail with a `RuntimeError` when a docker command did not succeed. */
function check(what: string, r: { exitCode: number | null; stderr: string }): void {
  if (r.exitCode !== 0) {
    throw new RuntimeError('docker', `${what} failed (exit ${r.exitCode}): ${r.stderr.trim()}`, {
      exitCode: r.exitCode,
      stderr: r.stderr,
    });
  }
}

/**
 * Make sure `image` exists; the default image is created with `docker import` from a tar holding only
 * the host's top-level links and empty mount points. Returns the image name.
 */
export async function ensureImage(image: string = DEFAULT_IMAGE): Promise<string> {
  const probe = await execCollect('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    runtime: 'docker',
  });
  if (probe.exitCode === 0) return image;
  if (image !== DEFAULT_IMAGE) {
    throw new RuntimeError(
      'docker',
      `image ${image} is not present (sysgate never pulls; load or build it first)`,
    );
  }
  const r = await execCollect(
    'docker',
    ['import', '--message', 'sysgate base: host /usr and /etc are bind-mounted', '-', image],
    {
      runtime: 'docker',
      stdin: rootfsTar(hostRootfsLayout()),
    },
  );
  check(`docker import ${image}`, r);
  return image;
}

/** `-v` arguments for bind mounts. */
function volumeArgs(binds: readonly BindMount[]): string[] {
  return binds.flatMap((b) => [
    '-v',
    `${b.source}:${b.target ?? b.source}:${b.readOnly === false ? 'rw' : 'ro'}`,
  ]);
}

/**
 * The mounts sysgate's image needs: the host's /usr, /etc (and lib dirs) read-only, and the host's
 * secrets among them masked: files by /dev/null, directories by a read-only tmpfs (Docker mounts
 * them after /etc, deeper paths last).
 */
export function hostMountArgs(): string[] {
  const layout = hostRootfsLayout();
  return [
    ...volumeArgs(layout.hostBinds.map((d) => ({ source: d }))),
    ...volumeArgs(layout.maskedFiles.map((f) => ({ source: '/dev/null', target: f }))),
    ...layout.maskedDirs.flatMap((d) => ['--tmpfs', `${d}:ro`]),
  ];
}

/** The mount arguments of a run: the image's host mounts (default image only), the prober, the binds. */
function bindArgs(options: Pick<DockerSandbox, 'image' | 'binds' | 'prober'>): string[] {
  const binds: BindMount[] = [];
  if (options.prober !== undefined) binds.push({ source: options.prober, target: SANDBOX_PROBER });
  binds.push(...(options.binds ?? []));
  return [
    ...((options.image ?? DEFAULT_IMAGE) === DEFAULT_IMAGE ? hostMountArgs() : []),
    ...volumeArgs(binds),
  ];
}

/**
 * The `docker run` arguments of a sandbox: its network (`none` by default), working directory,
 * cgroup limits and mounts (the default image's host /usr and /etc with the secrets masked, the
 * prober, the binds). `run` and `record --docker` both take theirs from here.
 */
export function dockerSandboxArgs(sandbox: DockerSandbox): string[] {
  return [
    '--network',
    sandbox.network ?? 'none',
    ...(sandbox.cwd !== undefined ? ['--workdir', sandbox.cwd] : []),
    ...dockerLimitArgs(sandbox.limits ?? DEFAULT_LIMITS),
    ...bindArgs(sandbox),
  ];
}

/**
 * `docker run` arguments (after `run`) for `options`, the profile being in `profileFile` (or
 * `unconfined`, or Docker's default when undefined).
 */
export function dockerRunArgs(
  options: DockerRunOptions,
  profileFile: string | undefined,
  detach: boolean,
  name?: string,
): string[] {
  const args = detach ? ['-d'] : ['--rm', '-i'];
  // A name and a label let sysgate remove the container whatever happens to the client.
  if (name !== undefined) args.push('--name', name);
  args.push('--label', CONTAINER_LABEL);
  if (profileFile !== undefined) args.push('--security-opt', `seccomp=${profileFile}`);
  args.push(...dockerSandboxArgs(options), ...(options.extraArgs ?? []));
  args.push(options.image ?? DEFAULT_IMAGE, ...options.argv);
  return args;
}

/** Write the profile to a private temporary file; returns its path and a cleanup function. */
function profileFile(seccomp: DockerSeccomp | undefined): {
  path: string | undefined;
  cleanup: () => void;
} {
  if (seccomp === undefined) return { path: undefined, cleanup: () => undefined };
  if (seccomp === 'unconfined') return { path: 'unconfined', cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-docker-'));
  const path = join(dir, 'seccomp.json');
  writeFileSync(path, typeof seccomp === 'string' ? seccomp : stringifyJson(seccomp as JsonValue));
  return {
    path,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a command in a fresh container and collect its output (any exit status resolves). */
export async function runDocker(options: DockerRunOptions): Promise<ProcessResult> {
  await ensureImage(options.image ?? DEFAULT_IMAGE);
  const pf = profileFile(options.seccomp);
  const name = containerName();
  let result: ProcessResult | undefined;
  try {
    result = await execCollect('docker', ['run', ...dockerRunArgs(options, pf.path, false, name)], {
      runtime: 'docker',
      ...(options.stdin !== undefined && { stdin: options.stdin }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    return result;
  } finally {
    pf.cleanup();
    // --rm removed it unless the start failed or the client was killed.
    if (result?.exitCode !== 0) await removeContainer(name);
  }
}

/** Start a container in the background (e.g. `sleep infinity`) and return a handle to it. */
export async function startDocker(options: DockerRunOptions): Promise<StartedContainer> {
  await ensureImage(options.image ?? DEFAULT_IMAGE);
  const pf = profileFile(options.seccomp);
  const name = containerName();
  let id: string;
  try {
    id = (
      await execOk('docker', ['run', ...dockerRunArgs(options, pf.path, true, name)], {
        runtime: 'docker',
      })
    ).trim();
  } catch (e) {
    await removeContainer(name);
    throw e;
  } finally {
    pf.cleanup();
  }
  const stop = async (): Promise<void> => {
    await execCollect('docker', ['rm', '-f', id], { runtime: 'docker' });
  };
  try {
    const state = await execOk(
      'docker',
      ['inspect', '--format', '{{.State.Running}} {{.State.Pid}}', id],
      {
        runtime: 'docker',
      },
    );
    const [running, pidText] = state.trim().split(' ');
    const pid = Number(pidText);
    if (running !== 'true' || !(pid > 0)) {
      const logs = await execCollect('docker', ['logs', id], { runtime: 'docker' });
      throw new RuntimeError(
        'docker',
        `container ${id.slice(0, 12)} is not running: ${logs.stderr.trim()}`,
      );
    }
    return {
      id,
      pid,
      exec: (argv, stdin, timeoutMs) =>
        execCollect('docker', ['exec', '-i', id, ...argv], {
          runtime: 'docker',
          ...(stdin !== undefined && { stdin }),
          ...(timeoutMs !== undefined && { timeoutMs }),
        }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
