/**
 * The Docker and Podman engines: `docker run --security-opt seccomp=FILE` (or `podman run`, the same
 * arguments), by default on a tiny image sysgate builds itself with `docker import` / `podman import`
 * (no registry needed) and with the host's /usr and /etc mounted read-only, without network. The
 * profile reaches the engine as a file its CLI reads, so Docker (moby) or Podman (containers/common)
 * resolves it exactly as it would a user's `--security-opt`.
 *
 * Podman runs with `--runtime runc` (so its filter is runc's, as modelled; Debian 12's crun 1.8.1 also
 * refuses a hybrid cgroup v1/v2 host), sysgate's own open-file and process limits (Podman asks for
 * rlimits above the hard limits otherwise, and runc fails setting them), and Docker's default
 * capabilities (`--cap-drop all` plus Docker's 14), so that both engines resolve `includes.caps` for
 * the same bounding set.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../../document/errors.js';
import { stringifyJson, type JsonValue } from '../../profile/convert/json.js';
import { execCollect, execOk, type ProcessResult } from '../process.js';
import { SANDBOX_PROBER, hostRootfsLayout, rootfsTar } from '../rootfs.js';
import type { BindMount } from './bwrap.js';
import { stuckRuncInits } from './oci.js';
import { cacheDir } from '../native.js';
import { DEFAULT_LIMITS, dockerLimitArgs, type ResourceLimits } from '../limits.js';
import { readFileSync } from 'node:fs';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../kb/index.js';

/** The image sysgate builds from host directories. */
export const DEFAULT_IMAGE = 'sysgate/base:local';
/** The same image in Podman's store (Podman names local images `localhost/...`). */
export const PODMAN_DEFAULT_IMAGE = 'localhost/sysgate/base:local';

/** The container CLI: Docker's, or Podman's (same arguments, its own store and loader). */
export type ContainerCli = 'docker' | 'podman';

/** sysgate's image for `cli`. */
export function defaultImage(cli: ContainerCli = 'docker'): string {
  return cli === 'podman' ? PODMAN_DEFAULT_IMAGE : DEFAULT_IMAGE;
}

/**
 * Podman 4.3.1 and its conmon run with RLIMIT_NPROC 32768 (measured in /proc/PID/limits on Debian
 * 12, whatever the caller's), so a container cannot be given more processes than that.
 */
const PODMAN_NPROC_MAX = 32768;

/**
 * This process's `soft:hard` limit from /proc/self/limits, each at most `max`, or undefined when
 * unreadable.
 */
function ownLimit(label: string, max = Infinity): string | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(label));
    const m = line === undefined ? null : /\s(\S+)\s+(\S+)\s+\S+\s*$/.exec(line);
    if (m === null) return undefined;
    const cap = (v: string | undefined): string =>
      String(Math.min(v === 'unlimited' || v === undefined ? Infinity : Number(v), max));
    return `${cap(m[1])}:${cap(m[2])}`.replaceAll('Infinity', '-1');
  } catch {
    return undefined;
  }
}

/**
 * What `podman run` needs beyond Docker's arguments (see the module comment): runc, sysgate's own
 * nofile and nproc limits, Docker's default capabilities.
 */
export function podmanArgs(): string[] {
  const limits = [
    ['nofile', ownLimit('Max open files')],
    ['nproc', ownLimit('Max processes', PODMAN_NPROC_MAX)],
  ].flatMap(([name, value]) => (value === undefined ? [] : ['--ulimit', `${name}=${value}`]));
  return [
    '--runtime',
    'runc',
    ...limits,
    '--cap-drop',
    'all',
    ...DOCKER_DEFAULT_CAPABILITIES.flatMap((c) => ['--cap-add', c]),
  ];
}

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
export async function removeContainer(name: string, cli: ContainerCli = 'docker'): Promise<void> {
  // A runc init its own filter half killed wedges the daemon on this container: end it first.
  const stuck = await stuckInitOf(name, cli);
  if (stuck !== undefined) killQuietly(stuck);
  await execCollect(cli, ['rm', ...rmForce(cli), name], { runtime: cli, timeoutMs: 60_000 });
}

/** `rm` arguments that kill at once (`podman rm -f` first waits 10 s for SIGTERM to end pid 1). */
function rmForce(cli: ContainerCli): string[] {
  return cli === 'podman' ? ['-f', '-t', '0'] : ['-f'];
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
export async function stuckInitOf(
  name: string,
  cli: ContainerCli = 'docker',
): Promise<number | undefined> {
  const stuck = stuckRuncInits();
  if (stuck.length === 0) return undefined;
  const ours = await execCollect(
    cli,
    ['ps', '-a', '--no-trunc', '-q', '--filter', `name=^${name}$`],
    { runtime: cli, timeoutMs: 10_000 },
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
  /** The CLI: `docker` (default) or `podman`. */
  readonly cli?: ContainerCli;
  /** Image (default `defaultImage(cli)`, built on demand); host binds are added only for the default. */
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
function check(
  what: string,
  r: { exitCode: number | null; stderr: string },
  cli: ContainerCli = 'docker',
): void {
  if (r.exitCode !== 0) {
    throw new RuntimeError(cli, `${what} failed (exit ${r.exitCode}): ${r.stderr.trim()}`, {
      exitCode: r.exitCode,
      stderr: r.stderr,
    });
  }
}

/**
 * Make sure `image` exists; the default image is created with `docker import` from a tar holding only
 * the host's top-level links and empty mount points. Returns the image name.
 */
export async function ensureImage(image?: string, cli: ContainerCli = 'docker'): Promise<string> {
  const want = image ?? defaultImage(cli);
  const probe = await execCollect(cli, ['image', 'inspect', '--format', '{{.Id}}', want], {
    runtime: cli,
  });
  if (probe.exitCode === 0) return want;
  if (want !== defaultImage(cli)) {
    throw new RuntimeError(
      cli,
      `image ${want} is not present (sysgate never pulls; load or build it first)`,
    );
  }
  const r = await execCollect(
    cli,
    ['import', '--message', 'sysgate base: host /usr and /etc are bind-mounted', '-', want],
    {
      runtime: cli,
      stdin: rootfsTar(hostRootfsLayout()),
    },
  );
  check(`${cli} import ${want}`, r, cli);
  return want;
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
export function hostMountArgs(cli: ContainerCli = 'docker'): string[] {
  const layout = hostRootfsLayout();
  return [
    ...volumeArgs(layout.hostBinds.map((d) => ({ source: d }))),
    ...volumeArgs(layout.maskedFiles.map((f) => ({ source: '/dev/null', target: f }))),
    // Podman 4.3 mounts every --tmpfs before the volumes, so the /etc volume would cover a tmpfs on
    // /etc/ssl/private (measured: the host's files showed through); its volumes are mounted parents
    // first, so the directories are masked by an empty read-only directory among them.
    ...(cli === 'podman'
      ? volumeArgs(layout.maskedDirs.map((d) => ({ source: emptyDir(), target: d })))
      : layout.maskedDirs.flatMap((d) => ['--tmpfs', `${d}:ro`])),
  ];
}

/**
 * An empty directory no one can write to (`~/.cache/sysgate/empty`, mode 0555), made on first use;
 * anything else at that path (a file, a symlink, an entry inside) is refused rather than mounted.
 */
export function emptyDir(cache: string = cacheDir()): string {
  const dir = join(cache, 'empty');
  if (!existsSync(dir)) {
    mkdirSync(cache, { recursive: true });
    mkdirSync(dir, { mode: 0o555 });
    chmodSync(dir, 0o555); // the umask may have taken bits away, never added any
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || (st.mode & 0o222) !== 0 || readdirSync(dir).length > 0)
    throw new RuntimeError(
      'podman',
      `${dir} must be an empty directory no one can write to (it masks the host's secret directories in the sandbox); remove it and sysgate makes it again`,
    );
  return dir;
}

/** The mount arguments of a run: the image's host mounts (default image only), the prober, the binds. */
function bindArgs(options: Pick<DockerSandbox, 'cli' | 'image' | 'binds' | 'prober'>): string[] {
  const binds: BindMount[] = [];
  if (options.prober !== undefined) binds.push({ source: options.prober, target: SANDBOX_PROBER });
  binds.push(...(options.binds ?? []));
  const own = defaultImage(options.cli);
  return [
    ...((options.image ?? own) === own ? hostMountArgs(options.cli) : []),
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
    ...(sandbox.cli === 'podman' ? podmanArgs() : []),
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
  args.push(options.image ?? defaultImage(options.cli), ...options.argv);
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
  const cli = options.cli ?? 'docker';
  await ensureImage(options.image, cli);
  const pf = profileFile(options.seccomp);
  const name = containerName();
  let result: ProcessResult | undefined;
  try {
    result = await execCollect(cli, ['run', ...dockerRunArgs(options, pf.path, false, name)], {
      runtime: cli,
      ...(options.stdin !== undefined && { stdin: options.stdin }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    return result;
  } finally {
    pf.cleanup();
    // --rm removed it unless the start failed or the client was killed.
    if (result?.exitCode !== 0) await removeContainer(name, cli);
  }
}

/** Start a container in the background (e.g. `sleep infinity`) and return a handle to it. */
export async function startDocker(options: DockerRunOptions): Promise<StartedContainer> {
  const cli = options.cli ?? 'docker';
  await ensureImage(options.image, cli);
  const pf = profileFile(options.seccomp);
  const name = containerName();
  let id: string;
  try {
    id = (
      await execOk(cli, ['run', ...dockerRunArgs(options, pf.path, true, name)], {
        runtime: cli,
      })
    ).trim();
  } catch (e) {
    await removeContainer(name, cli);
    throw e;
  } finally {
    pf.cleanup();
  }
  const stop = async (): Promise<void> => {
    await execCollect(cli, ['rm', ...rmForce(cli), id], { runtime: cli });
  };
  try {
    const state = await execOk(
      cli,
      ['inspect', '--format', '{{.State.Running}} {{.State.Pid}}', id],
      {
        runtime: cli,
      },
    );
    const [running, pidText] = state.trim().split(' ');
    const pid = Number(pidText);
    if (running !== 'true' || !(pid > 0)) {
      const logs = await execCollect(cli, ['logs', id], { runtime: cli });
      throw new RuntimeError(
        cli,
        `container ${id.slice(0, 12)} is not running: ${logs.stderr.trim()}`,
      );
    }
    return {
      id,
      pid,
      exec: (argv, stdin, timeoutMs) =>
        execCollect(cli, ['exec', '-i', id, ...argv], {
          runtime: cli,
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
