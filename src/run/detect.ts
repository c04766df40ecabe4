/**
 * Which engines this machine can run: the binary is present and answers (and, for Docker, the daemon
 * answers too). A missing engine becomes a `RuntimeError` (exit 3) that says how to install it.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants as fsConstants,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  parseStackVersion,
  type RuntimeVersions,
  type StackVersion,
} from '../compile/runtime-versions.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { libseccompLibraryVersion } from '../generate/provenance.js';
import { cacheDir } from './native.js';
import { execCollect } from './process.js';
import { ENGINE_NAMES, type EngineName } from './probe.js';

/** Whether one engine can be used, and why not. */
export interface EngineStatus {
  /** Engine name. */
  readonly name: EngineName;
  /** True when the engine answered. */
  readonly available: boolean;
  /** Version string, when available. */
  readonly version?: string;
  /** Why it is not available. */
  readonly reason?: string;
  /** How to install or start it (Debian). */
  readonly install: string;
}

/** Install hints per engine. */
const INSTALL: Record<EngineName, string> = {
  bwrap: 'apt-get install bubblewrap',
  runc: 'apt-get install runc',
  crun: 'apt-get install crun',
  docker: 'apt-get install docker.io, then start the daemon (systemctl start docker, or dockerd &)',
  podman: 'apt-get install podman runc (sysgate runs Podman with --runtime runc)',
};

/** The command that shows an engine's version (and, for docker, that the daemon answers). */
const VERSION_COMMAND: Record<EngineName, readonly string[]> = {
  bwrap: ['bwrap', '--version'],
  runc: ['runc', '--version'],
  crun: ['crun', '--version'],
  docker: ['docker', 'version', '--format', '{{.Server.Version}}'],
  podman: ['podman', 'version', '--format', '{{.Client.Version}}'],
};

/** Check one engine. Never throws for a missing engine; see `requireEngine`. */
export async function detectEngine(name: EngineName): Promise<EngineStatus> {
  const [file, ...args] = VERSION_COMMAND[name] as [string, ...string[]];
  const install = INSTALL[name];
  try {
    const r = await execCollect(file, args, { runtime: name, timeoutMs: 20_000 });
    if (r.exitCode !== 0) {
      const why =
        name === 'docker' ? 'the Docker daemon does not answer' : `${file} --version failed`;
      return {
        name,
        available: false,
        reason: `${why}: ${r.stderr.trim().split('\n')[0] ?? ''}`,
        install,
      };
    }
    const version = r.stdout.trim().split('\n')[0] ?? '';
    return { name, available: true, version, install };
  } catch {
    return { name, available: false, reason: `${file} is not installed`, install };
  }
}

/** Check every engine, in `ENGINE_NAMES` order. */
export function detectEngines(): Promise<EngineStatus[]> {
  return Promise.all(ENGINE_NAMES.map(detectEngine));
}

/** Throw a `RuntimeError` naming the fix when `name` cannot be used. */
export async function requireEngine(name: EngineName): Promise<EngineStatus> {
  const s = await detectEngine(name);
  if (!s.available) {
    throw new RuntimeError(
      name,
      `engine ${name} is not available (${s.reason ?? 'unknown reason'}); install: ${s.install}`,
    );
  }
  return s;
}

/**
 * Resolve `--engine`: a named engine must be available; `auto` takes the first available one in
 * `ENGINE_NAMES` order among those that accept the policy kind (`bpf`: bwrap only; `profile`: the rest).
 */
export async function pickEngine(
  choice: string,
  policyKind: 'bpf' | 'profile',
): Promise<EngineName> {
  if (choice !== 'auto') {
    if (!(ENGINE_NAMES as readonly string[]).includes(choice)) {
      throw new UsageError(`unknown engine ${choice} (choose auto, ${ENGINE_NAMES.join(', ')})`);
    }
    await requireEngine(choice as EngineName);
    return choice as EngineName;
  }
  const candidates = ENGINE_NAMES.filter((n) =>
    policyKind === 'bpf' ? n === 'bwrap' : n !== 'bwrap',
  );
  const statuses = await Promise.all(candidates.map(detectEngine));
  const found = statuses.find((s) => s.available);
  if (!found) {
    throw new RuntimeError(
      'auto',
      `no engine available: ${statuses.map((s) => `${s.name} (${s.reason ?? '?'}; ${s.install})`).join('; ')}`,
    );
  }
  return found.name;
}

/** First version a command prints on stdout, or undefined when it is missing or fails. */
function commandVersion(file: string, args: readonly string[]): StackVersion | undefined {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return parseStackVersion(r.stdout);
}

/** The executable `name` resolves to on `PATH` (as `spawnSync` would find it), or undefined. */
function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, fsConstants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** One cached `--version` answer: the binary's identity when it was asked, and what it said. */
interface CachedVersion {
  readonly identity: string;
  readonly version: StackVersion | null;
}

/** Where `binaryVersion` keeps what each binary said (`$XDG_CACHE_HOME/sysgate`, as the prober). */
export function versionCachePath(cache: string = cacheDir()): string {
  return join(cache, 'stack-versions.json');
}

/** A binary's identity: resolved path, device, inode, size and modification time. */
function identity(file: string): string {
  const st = statSync(file);
  return `${realpathSync(file)}:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * What `name ARGS` prints as its version, asked once per binary: the answer is kept in the cache file
 * under the binary's identity (path, inode, size, mtime), so an upgraded or replaced binary is asked
 * again. Each ask is a process start (dockerd alone: tens of milliseconds), which every deciding
 * command paid on each run. The cache is best effort: unreadable or unwritable, the binary is asked.
 */
export function binaryVersion(
  name: string,
  args: readonly string[],
  where: { readonly cacheFile?: string; readonly path?: string } = {},
): StackVersion | undefined {
  const cacheFile = where.cacheFile ?? versionCachePath();
  const file = onPath(name, where.path);
  if (file === undefined) return undefined;
  let id: string;
  try {
    id = identity(file);
  } catch {
    return commandVersion(file, args);
  }
  const key = `${name} ${args.join(' ')}`;
  let cache: Record<string, CachedVersion> = {};
  try {
    const parsed = JSON.parse(readFileSync(cacheFile, 'utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null)
      cache = parsed as Record<string, CachedVersion>;
  } catch {
    // no cache yet, or a damaged one: ask the binary
  }
  const hit = cache[key];
  if (hit?.identity === id) return hit.version ?? undefined;
  const version = commandVersion(file, args);
  try {
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(
      tmp,
      JSON.stringify({ ...cache, [key]: { identity: id, version: version ?? null } }),
    );
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only home: the answer is not kept
  }
  return version;
}

let hostStack: RuntimeVersions | undefined;

/**
 * The stack installed on this machine, component by component (absent: not installed): the Docker
 * daemon from `dockerd --version` (else the server `docker version` reports), `runc --version`,
 * `crun --version`, and libseccomp from its shared library's name. Read once per process; each
 * binary's answer is cached across processes under its identity (`binaryVersion`).
 */
export function detectStackVersions(): RuntimeVersions {
  if (hostStack !== undefined) return hostStack;
  const docker =
    binaryVersion('dockerd', ['--version']) ??
    // The server's answer can change without the client binary changing: never cached.
    commandVersion('docker', ['version', '--format', '{{.Server.Version}}']);
  const runc = binaryVersion('runc', ['--version']);
  const crun = binaryVersion('crun', ['--version']);
  const lib = libseccompLibraryVersion();
  const libseccomp = lib === undefined ? undefined : parseStackVersion(lib);
  hostStack = {
    ...(docker !== undefined && { docker }),
    ...(runc !== undefined && { runc }),
    ...(crun !== undefined && { crun }),
    ...(libseccomp !== undefined && { libseccomp }),
  };
  return hostStack;
}
