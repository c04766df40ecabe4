/**
 * The OCI runtime engine: an OCI bundle built on the fly (a tiny root with the host's /usr and /etc
 * bind-mounted read-only, fresh namespaces, no network, Docker's /dev, /sys and /proc with its masked
 * and read-only paths: see kb/moby/container.ts) whose `linux.seccomp` is the given, already
 * resolved profile, run with `runc` or `crun`. Every container gets a unique id and is deleted after use.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../../document/errors.js';
import { stringifyJson, type JsonValue } from '../../profile/convert/json.js';
import { execCollect, execDetached, execOk, type ProcessResult } from '../process.js';
import { SANDBOX_ENV, SANDBOX_PROBER, hostRootfsLayout, makeRootfsDir } from '../rootfs.js';
import type { BindMount } from './bwrap.js';
import type { StartedContainer } from './docker.js';
import {
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_DEFAULT_MOUNTS,
  DOCKER_DEVICE_RULES,
  DOCKER_MASKED_PATHS,
  DOCKER_READONLY_PATHS,
  MOBY_LATER_MASKED_PATHS,
  mobyThermalThrottleDir,
} from '../../kb/index.js';
import { DEFAULT_LIMITS, ociResources, type ResourceLimits } from '../limits.js';

/** The OCI runtimes sysgate drives. */
export type OciRuntime = 'runc' | 'crun';

/** How to run one OCI container. */
export interface OciRunOptions {
  /** `runc` or `crun`. */
  readonly runtime: OciRuntime;
  /** Command and arguments (absolute path or found through PATH=/usr/bin:/bin...). */
  readonly argv: readonly string[];
  /** An OCI `LinuxSeccomp` object (moby already resolved: no archMap/includes); none when absent. */
  readonly seccomp?: object;
  /** Text or bytes for stdin. */
  readonly stdin?: string | Uint8Array;
  /** Extra bind mounts. */
  readonly binds?: readonly BindMount[];
  /** Working directory inside the container (default `/`). */
  readonly cwd?: string;
  /** Host path of a prober to bind read-only at /sysgate/prober (`proberPath()`); none when absent. */
  readonly prober?: string;
  /** Set no_new_privs (default false, like Docker: the filter is then loaded while runc still holds its capabilities). */
  readonly noNewPrivileges?: boolean;
  /** Kill the runtime after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Runtime executable (default: `runtime` on PATH). */
  readonly runtimePath?: string;
  /** cgroup limits (default `DEFAULT_LIMITS`). */
  readonly limits?: ResourceLimits;
}

/**
 * The CPUs of a kernel CPU list (`/sys/devices/system/cpu/possible`: `0-3,8,10-11`); none for text
 * that is not one.
 */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return [];
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let c = first; c <= last; c++) cpus.push(c);
  }
  return cpus;
}

/** The per-CPU `thermal_throttle` directories later moby masks, those that exist on this host. */
export function thermalThrottleDirs(): string[] {
  let possible: string;
  try {
    possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8');
  } catch {
    return [];
  }
  return parseCpuList(possible)
    .map(mobyThermalThrottleDir)
    .filter((d) => existsSync(d));
}

/** The bundle's config.json for `options` (root file system at `rootfs`, relative to the bundle). */
export function ociConfig(
  options: Omit<OciRunOptions, 'runtime' | 'stdin' | 'timeoutMs'>,
  rootfs = 'rootfs',
): object {
  const bind = (source: string, destination: string, readOnly: boolean): object => ({
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'nosuid', 'nodev', readOnly ? 'ro' : 'rw'],
  });
  const layout = hostRootfsLayout();
  const mounts: object[] = [
    // Docker's /proc, /dev, /dev/pts, /sys, /sys/fs/cgroup, /dev/mqueue and /dev/shm.
    ...DOCKER_DEFAULT_MOUNTS.map((m) => ({ ...m, options: [...m.options] })),
    {
      destination: '/tmp',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'mode=1777'],
    },
    ...layout.hostBinds.map((d) => bind(d, d, true)),
    ...(options.prober === undefined ? [] : [bind(options.prober, SANDBOX_PROBER, true)]),
    ...(options.binds ?? []).map((b) => bind(b.source, b.target ?? b.source, b.readOnly !== false)),
  ];
  const caps = DOCKER_DEFAULT_CAPABILITIES;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...options.argv],
      env: SANDBOX_ENV.map(([name, value]) => `${name}=${value}`),
      cwd: options.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: options.noNewPrivileges ?? false,
    },
    root: { path: rootfs, readonly: true },
    hostname: 'sysgate',
    mounts,
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
      ],
      // Docker's masked and read-only paths, and the host's secrets under the read-only /etc: runc
      // and crun mask files with /dev/null and directories with a read-only tmpfs.
      maskedPaths: [
        ...DOCKER_MASKED_PATHS,
        ...MOBY_LATER_MASKED_PATHS,
        ...thermalThrottleDirs(),
        ...layout.maskedFiles,
        ...layout.maskedDirs,
      ],
      readonlyPaths: [...DOCKER_READONLY_PATHS],
      // Docker's device rules: no device but the few runc creates (CAP_MKNOD must not reach the
      // host's disks).
      resources: {
        devices: DOCKER_DEVICE_RULES.map((d) => ({ ...d })),
        ...ociResources(options.limits ?? DEFAULT_LIMITS),
      },
      ...(options.seccomp !== undefined && { seccomp: options.seccomp }),
    },
  };
}

/**
 * A bundle's config.json text: 64-bit values (a seccomp argument of 2^64-1) as exact decimal
 * literals, which runc's and crun's JSON decoders read into their uint64 fields.
 */
export function bundleConfigJson(config: object): string {
  return stringifyJson(config as JsonValue);
}

/**
 * Whether crun would refuse this host: a hybrid cgroup layout (v1 controllers under a tmpfs
 * /sys/fs/cgroup) whose cgroup2 mount at /sys/fs/cgroup/unified still owns a controller. crun
 * (libcrun `libcrun_cgroup_enter`) rejects that outright, whatever the cgroup manager.
 */
export function crunNeedsHybridWorkaround(): boolean {
  const controllers = '/sys/fs/cgroup/unified/cgroup.controllers';
  if (existsSync('/sys/fs/cgroup/cgroup.controllers') || !existsSync(controllers)) return false;
  try {
    return readFileSync(controllers, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

/**
 * The command line for one runtime invocation. On hosts where `crunNeedsHybridWorkaround()` holds,
 * crun runs in a private mount namespace without the cgroup2 mount, so it sees plain cgroup v1; the
 * host's mounts are untouched.
 */
export function runtimeCommand(
  runtime: OciRuntime,
  args: readonly string[],
  runtimePath: string = runtime,
): [file: string, args: string[]] {
  if (runtime === 'crun' && crunNeedsHybridWorkaround()) {
    const script = 'umount -l /sys/fs/cgroup/unified && exec "$0" "$@"';
    return [
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, runtimePath, ...args],
    ];
  }
  return [runtimePath, [...args]];
}

/** A bundle directory on disk with a unique container id. */
interface Bundle {
  readonly dir: string;
  readonly id: string;
  readonly remove: () => void;
}

/** Write a bundle (config.json + rootfs) to a fresh temporary directory. */
function makeBundle(options: OciRunOptions): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-oci-'));
  mkdirSync(join(dir, 'rootfs'));
  makeRootfsDir(join(dir, 'rootfs'), hostRootfsLayout());
  writeFileSync(join(dir, 'config.json'), bundleConfigJson(ociConfig(options)));
  const id = `sysgate-${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    dir,
    id,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a command in a fresh container and collect its output (any exit status resolves). */
export async function runOci(options: OciRunOptions): Promise<ProcessResult> {
  const cmd = (args: readonly string[]): [string, string[]] =>
    runtimeCommand(options.runtime, args, options.runtimePath);
  const bundle = makeBundle(options);
  try {
    return await execCollect(...cmd(['run', '--bundle', bundle.dir, bundle.id]), {
      runtime: options.runtime,
      ...(options.stdin !== undefined && { stdin: options.stdin }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  } finally {
    await execCollect(...cmd(['delete', '--force', bundle.id]), { runtime: options.runtime }).catch(
      () => undefined,
    );
    bundle.remove();
  }
}

/** Start a container in the background (e.g. `sleep infinity`) and return a handle to it. */
export async function startOci(options: OciRunOptions): Promise<StartedContainer> {
  const cmd = (args: readonly string[]): [string, string[]] =>
    runtimeCommand(options.runtime, args, options.runtimePath);
  const bundle = makeBundle(options);
  const stop = async (): Promise<void> => {
    await execCollect(...cmd(['delete', '--force', bundle.id]), { runtime: options.runtime }).catch(
      () => undefined,
    );
    bundle.remove();
  };
  try {
    const r = await execDetached(...cmd(['run', '--detach', '--bundle', bundle.dir, bundle.id]), {
      runtime: options.runtime,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    if (r.exitCode !== 0) {
      throw new RuntimeError(
        options.runtime,
        `${options.runtime} run failed (exit ${r.exitCode}): ${r.stderr.trim()}`,
        {
          exitCode: r.exitCode,
          stderr: r.stderr,
        },
      );
    }
    const state = JSON.parse(
      await execOk(...cmd(['state', bundle.id]), { runtime: options.runtime }),
    ) as {
      pid?: number;
      status?: string;
    };
    if (state.status !== 'running' || !(typeof state.pid === 'number' && state.pid > 0)) {
      throw new RuntimeError(
        options.runtime,
        `container ${bundle.id} is ${state.status ?? 'unknown'}, not running`,
      );
    }
    const pid = state.pid;
    return {
      id: bundle.id,
      pid,
      exec: (argv, stdin, timeoutMs) =>
        execCollect(...cmd(['exec', bundle.id, ...argv]), {
          runtime: options.runtime,
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

/**
 * The pids of runc inits that their own seccomp filter has half killed: a profile whose KILL action
 * (SCMP_ACT_KILL is KILL_THREAD) hits a call runc's init makes after loading the filter kills only
 * that thread; the Go process stays, a zombie leader with live threads, and runc 1.1 (`runc run`, or
 * the `runc create` under Docker) waits for it forever. Each entry names the container id found on
 * the parent runc's command line (its last argument).
 */
export function stuckRuncInits(): { readonly pid: number; readonly containerId: string }[] {
  const found: { pid: number; containerId: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return found;
  }
  for (const e of entries) {
    try {
      const status = readFileSync(`/proc/${e}/status`, 'utf8');
      if (!/^Name:\s+runc:\[2:INIT\]$/m.test(status) || !/^State:\s+Z/m.test(status)) continue;
      if (Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1) < 2) continue;
      const ppid = /^PPid:\s+(\d+)/m.exec(status)?.[1];
      const cmdline = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const containerId = cmdline.at(-1);
      if (containerId !== undefined) found.push({ pid: Number(e), containerId });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
