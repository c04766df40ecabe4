/**
 * Which engines this machine can run: the binary is present and answers (and, for Docker, the daemon
 * answers too). A missing engine becomes a `RuntimeError` (exit 3) that says how to install it.
 */
import { spawnSync } from 'node:child_process';
import {
  parseStackVersion,
  type RuntimeVersions,
  type StackVersion,
} from '../compile/runtime-versions.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { libseccompLibraryVersion } from '../generate/provenance.js';
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
};

/** The command that shows an engine's version (and, for docker, that the daemon answers). */
const VERSION_COMMAND: Record<EngineName, readonly string[]> = {
  bwrap: ['bwrap', '--version'],
  runc: ['runc', '--version'],
  crun: ['crun', '--version'],
  docker: ['docker', 'version', '--format', '{{.Server.Version}}'],
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

let hostStack: RuntimeVersions | undefined;

/**
 * The stack installed on this machine, component by component (absent: not installed): the Docker
 * daemon from `dockerd --version` (else the server `docker version` reports), `runc --version`,
 * `crun --version`, and libseccomp from its shared library's name. Read once per process.
 */
export function detectStackVersions(): RuntimeVersions {
  if (hostStack !== undefined) return hostStack;
  const docker =
    commandVersion('dockerd', ['--version']) ??
    commandVersion('docker', ['version', '--format', '{{.Server.Version}}']);
  const runc = commandVersion('runc', ['--version']);
  const crun = commandVersion('crun', ['--version']);
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
