/**
 * One command in one engine's sandbox under one profile, as a plain child process: in the foreground
 * with the caller's stdio (`sysgate run`), collected (suite workloads), or in the background until
 * stopped (suite servers). The command lines come from the engine modules (`bwrapArgs`,
 * `dockerRunArgs`, `ociConfig`, `runtimeCommand`); only process handling lives here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchName } from '../arch/types.js';
import { encodeProgram } from '../bpf/instruction.js';
import { compileProfile } from '../compile/compile.js';
import { maybeStack, runcPlanOptions, type RuntimeVersions } from '../compile/runtime-versions.js';
import { buildPlan } from '../compile/build.js';
import { decide } from '../compile/decide.js';
import { SECCOMP_RET_ALLOW } from '../bpf/seccomp.js';
import { crunPlanOptions } from '../compile/crun.js';
import type { FilterPlan } from '../compile/plan.js';
import type { Instruction } from '../bpf/instruction.js';
import { InterruptedError, RuntimeError } from '../document/errors.js';
import { toOciObject } from '../profile/convert/oci.js';
import type { ResolvedProfile } from '../profile/resolve.js';
import type { LibseccompVersion } from '../arch/syscalls.js';
import { bwrapArgs, type BindMount } from './engines/bwrap.js';
import {
  DEFAULT_IMAGE,
  dockerRunArgs,
  ensureImage,
  hostMountArgs,
  removeContainer,
  stuckInitOf,
} from './engines/docker.js';
import { bundleConfigJson, ociConfig, runtimeCommand, stuckRuncInits } from './engines/oci.js';
import type { ResourceLimits } from './limits.js';
import {
  execCollect,
  guardSignals,
  receivedSignal,
  spawnProcess,
  type ExecOptions,
  type ProcessResult,
} from './process.js';
import type { EngineName, ProbePolicy } from './probe.js';
import { probeSeccompData, type Probe } from './probe-format.js';
import { hostRootfsLayout, makeRootfsDir, rootfsTar } from './rootfs.js';
import { constantValue } from '../arch/constants.js';

/**
 * What each engine's seccomp loader builds from the profile, and so which plan predicts it:
 * - `docker`: moby's resolution, then the Docker version's differences (Docker 20.10 drops
 *   `defaultErrnoRet`), then runc;
 * - `runc`, `crun`: sysgate hands them the OCI profile itself (moby's resolution, every field kept:
 *   runc 1.1 honours `defaultErrnoRet`); runc adds its ENOSYS stub, crun has none;
 * - `bwrap`: sysgate's compiled filter, which decides as runc's plan does;
 * - `podman`: containers/common's resolution (kb/podman.ts), then runc (sysgate runs Podman with
 *   `--runtime runc`).
 */
export type EnginePlans = Readonly<Record<EngineName, FilterPlan>>;

/** Which loader an engine's plan models, in words (for `--json` and reports). */
export const ENGINE_LOADERS: Readonly<Record<EngineName, string>> = {
  bwrap: "sysgate's compiled filter (moby's resolution, runc's rule handling and stub)",
  runc: "the OCI profile as runc loads it (moby's resolution done by sysgate; runc's stub)",
  crun: 'the OCI profile as crun loads it (no ENOSYS stub)',
  docker: "moby's resolution plus the Docker version's differences, then runc",
  podman: "containers/common v0.50.1's resolution (Podman 4.3.1's loader), then runc",
};

/** A profile prepared for every engine: the document Docker reads, runc's OCI object and sysgate's BPF. */
export interface EnginePolicy {
  /** Display label (the profile file). */
  readonly label: string;
  /** The profile's text as Docker reads it (`docker run --security-opt seccomp=`; see `dockerProfileText`). */
  readonly document: string;
  /** The OCI `linux.seccomp` object sysgate hands to runc and crun (moby's resolution, every field). */
  readonly oci: object;
  /** Per engine, the plan of what its loader really builds (see {@link EnginePlans}). */
  readonly plans: EnginePlans;
  /** One sentence per version difference that changed an engine's plan, by engine. */
  readonly notes: Readonly<Partial<Record<EngineName, readonly string[]>>>;
  /** sysgate's compiled filter for bwrap (the first of `filters`). */
  readonly program: readonly Instruction[];
  /**
   * Every filter to load, stacked in this order: one, unless the program passed BPF_MAXINSNS and was
   * split (compile/codegen.ts; runc, crun and Docker get the profile and build their own).
   */
  readonly filters: readonly (readonly Instruction[])[];
  /** `program` as raw `struct sock_filter[]` bytes in host order. */
  readonly bpf: Uint8Array;
  /** `filters` as raw bytes, in load order. */
  readonly bpfFilters: readonly Uint8Array[];
  /** Host arch the policy was resolved for. */
  readonly arch: ArchName;
}

/** The plan that predicts `engine` under `policy`. */
export function enginePlan(policy: EnginePolicy, engine: EngineName): FilterPlan {
  return policy.plans[engine];
}

/**
 * Prepare a profile resolved by moby's logic (no version differences applied) for every engine: each
 * engine's plan as its loader builds it, for the stack `stack` (the reference stack when absent).
 * `podman` is the same profile resolved by containers/common (`resolveProfile(..., 'containers-common')`);
 * when absent, moby's resolution stands in for it (they differ only in minKernel and in archMap on
 * arches other than x86_64, arm64, mips64* and s390x).
 */
export function preparePolicy(
  label: string,
  document: string,
  resolved: ResolvedProfile,
  arch: ArchName,
  libseccomp: LibseccompVersion = '2.5.4',
  stack?: RuntimeVersions,
  podman?: ResolvedProfile,
): EnginePolicy {
  const compiled = compileProfile(resolved, {
    arch,
    libseccompVersion: libseccomp,
    ...(stack !== undefined && { stack }),
    stats: false,
    split: true,
  });
  const docker = maybeStack(resolved, stack);
  const dockerPlan =
    docker.profile === resolved
      ? compiled.plan
      : buildPlan(docker.profile, { arch, libseccomp, ...docker.planOptions });
  const crunPlan = buildPlan(resolved, { arch, libseccomp, ...crunPlanOptions() });
  const podmanPlan =
    podman === undefined
      ? compiled.plan
      : buildPlan(podman, {
          arch,
          libseccomp,
          ...(stack !== undefined && runcPlanOptions(podman, stack)),
        });
  return {
    label,
    document,
    oci: toOciObject(resolved) as object,
    plans: {
      bwrap: compiled.plan,
      runc: compiled.plan,
      crun: crunPlan,
      docker: dockerPlan,
      podman: podmanPlan,
    },
    notes: docker.notes.length > 0 ? { docker: docker.notes } : {},
    program: compiled.program,
    filters: compiled.filters,
    bpf: encodeProgram(compiled.program, 'host'),
    bpfFilters: compiled.filters.map((f) => encodeProgram(f, 'host')),
    arch,
  };
}

/** The `runProbes` policy of `engine` for `policy`; `undefined` policy means no seccomp at all. */
export function probePolicy(engine: EngineName, policy: EnginePolicy | undefined): ProbePolicy {
  if (policy === undefined)
    return engine === 'docker' || engine === 'podman' ? 'unconfined' : undefined;
  switch (engine) {
    case 'bwrap':
      return policy.bpfFilters.length === 1 ? policy.bpf : policy.bpfFilters;
    case 'runc':
    case 'crun':
      return policy.oci;
    case 'docker':
    case 'podman':
      return policy.document;
    default: {
      const never: never = engine;
      return never;
    }
  }
}

/**
 * What `engine`'s filter returns for a probe under `probePolicy(engine, policy)`, from the plan of
 * what its loader builds (ALLOW for no policy: bwrap, runc and crun load no seccomp, Docker runs
 * unconfined): `runProbes`' `model`, from which it picks the probes that need no child of their own.
 */
export function probeModel(
  policy: EnginePolicy | undefined,
  engine: EngineName,
): (probe: Probe) => number {
  if (policy === undefined) return () => SECCOMP_RET_ALLOW;
  const plan = enginePlan(policy, engine);
  return (probe) => decide(plan, probeSeccompData(probe, policy.arch)).value >>> 0;
}

/** Where and how a sandboxed command runs. */
export interface SandboxOptions {
  /** Extra bind mounts (read-only unless said otherwise). */
  readonly binds?: readonly BindMount[];
  /** Use the host's network namespace (servers driven from outside). */
  readonly shareNet?: boolean;
  /** Docker image (sysgate's own when absent). */
  readonly image?: string;
  /** Working directory inside the sandbox (the engine's default, `/`, when absent). */
  readonly cwd?: string;
  /** cgroup limits for runc, crun and docker (`DEFAULT_LIMITS` when absent; bwrap has none). */
  readonly limits?: ResourceLimits;
}

/** A ready-to-spawn sandbox command and how to clean up after it. */
export interface SandboxCommand {
  /** Executable. */
  readonly file: string;
  /** Arguments. */
  readonly args: readonly string[];
  /** Bytes for inherited pipes from fd 3 on (bwrap's filter). */
  readonly extraFds: readonly Uint8Array[];
  /** Remove the container and temporary files (idempotent, never throws). */
  readonly cleanup: () => Promise<void>;
  /** The pid of this sandbox's runc init if its own filter left it stuck (see `stuckRuncInits`). */
  readonly stuckInit?: () => Promise<number | undefined>;
}

/** Run a command quietly, ignoring failures (cleanup). */
async function quiet(file: string, args: readonly string[]): Promise<void> {
  await execCollect(file, args, { stdout: 'ignore', stderr: 'ignore', timeoutMs: 60_000 }).catch(
    () => undefined,
  );
}

/** Build the command that runs `argv` under `policy` (none: no seccomp) in `engine`. */
export async function sandboxCommand(
  engine: EngineName,
  policy: EnginePolicy | undefined,
  argv: readonly string[],
  options: SandboxOptions = {},
): Promise<SandboxCommand> {
  switch (engine) {
    case 'bwrap': {
      const args = bwrapArgs({
        argv,
        ...(policy !== undefined && { filter: policy.bpfFilters }),
        binds: options.binds ?? [],
        ...(options.shareNet === true && { shareNet: true }),
        ...(options.cwd !== undefined && { cwd: options.cwd }),
      });
      return {
        file: 'bwrap',
        args,
        extraFds: policy === undefined ? [] : policy.bpfFilters,
        cleanup: () => Promise.resolve(),
      };
    }
    case 'docker':
    case 'podman': {
      const cli = engine;
      const image = await ensureImage(options.image, cli);
      const dir = mkdtempSync(join(tmpdir(), 'sysgate-run-'));
      let profile: string | undefined = 'unconfined';
      if (policy !== undefined) {
        profile = join(dir, 'seccomp.json');
        writeFileSync(profile, policy.document);
      }
      const name = `sysgate-${process.pid}-${randomBytes(4).toString('hex')}`;
      const args = dockerRunArgs(
        {
          cli,
          argv,
          image,
          binds: options.binds ?? [],
          network: options.shareNet === true ? 'host' : 'none',
          ...(options.cwd !== undefined && { cwd: options.cwd }),
          extraArgs: ['--name', name],
          ...(options.limits !== undefined && { limits: options.limits }),
        },
        profile,
        false,
      );
      return {
        file: cli,
        args: ['run', ...args],
        extraFds: [],
        cleanup: async () => {
          await removeContainer(name, cli).catch(() => undefined);
          rmSync(dir, { recursive: true, force: true });
        },
        stuckInit: () => stuckInitOf(name, cli),
      };
    }
    case 'runc':
    case 'crun': {
      const dir = mkdtempSync(join(tmpdir(), 'sysgate-oci-'));
      mkdirSync(join(dir, 'rootfs'));
      makeRootfsDir(join(dir, 'rootfs'), hostRootfsLayout());
      const config = ociConfig({
        argv,
        binds: options.binds ?? [],
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        ...(policy !== undefined && { seccomp: policy.oci }),
        ...(options.limits !== undefined && { limits: options.limits }),
      }) as { linux: { namespaces: { type: string }[] } };
      if (options.shareNet === true)
        config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network');
      writeFileSync(join(dir, 'config.json'), bundleConfigJson(config));
      const id = `sysgate-${process.pid}-${randomBytes(4).toString('hex')}`;
      const [file, args] = runtimeCommand(engine, ['run', '--bundle', dir, id]);
      return {
        file,
        args,
        extraFds: [],
        stuckInit: () => Promise.resolve(stuckRuncInits().find((s) => s.containerId === id)?.pid),
        cleanup: async () => {
          const [f, a] = runtimeCommand(engine, ['delete', '--force', id]);
          await quiet(f, a);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    default: {
      const never: never = engine;
      return never;
    }
  }
}

/** What a sandboxed run may add to the sandbox options: a time bound, stdin, an output bound. */
export interface SandboxRunOptions extends SandboxOptions {
  /** Kill the sandbox after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Text fed to the command's stdin (empty when absent). */
  readonly stdin?: string;
  /** Bytes of stdout and of stderr to keep (the process helper's default when absent). */
  readonly maxOutputBytes?: number;
}

/** How often a running container is checked for a stuck runc init, in milliseconds. */
const STUCK_INIT_POLL_MS = 1000;

/** The signal that interrupted a run, as an error, once the sandbox is cleaned up. */
function throwIfInterrupted(): void {
  const signal = receivedSignal();
  if (signal !== undefined) throw new InterruptedError(signal);
}

/**
 * Spawn `cmd` as a workload (its own process group, signals forwarded), clean up after it whatever
 * happens, and throw `InterruptedError` when sysgate was interrupted meanwhile.
 */
async function runWorkload(
  engine: EngineName,
  policy: EnginePolicy | undefined,
  argv: readonly string[],
  options: SandboxRunOptions,
  io: Pick<ExecOptions, 'stdin' | 'inheritStdin' | 'stdout' | 'stderr'>,
): Promise<ProcessResult> {
  return guardSignals(async () => {
    const cmd = await sandboxCommand(engine, policy, argv, options);
    let result: ProcessResult;
    const state = { stuck: false };
    let watchdog: NodeJS.Timeout | undefined;
    try {
      throwIfInterrupted();
      const child = spawnProcess(cmd.file, cmd.args, {
        runtime: engine,
        extraFds: cmd.extraFds,
        forwardSignals: true,
        ...io,
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
        ...(options.maxOutputBytes !== undefined && { maxOutputBytes: options.maxOutputBytes }),
      });
      const { stuckInit } = cmd;
      if (stuckInit !== undefined) {
        // runc waits forever for an init its filter half killed: end that init, and the run fails.
        watchdog = setInterval(() => {
          void stuckInit().then((pid) => {
            if (pid === undefined) return;
            state.stuck = true;
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Already gone.
            }
          });
        }, STUCK_INIT_POLL_MS);
      }
      result = await child.done;
    } finally {
      if (watchdog !== undefined) clearInterval(watchdog);
      await cmd.cleanup();
    }
    if (state.stuck)
      throw new RuntimeError(
        engine,
        `the container never started: the profile kills a call runc's init makes after loading the filter (SCMP_ACT_KILL ends only that thread, and runc then waits forever); allow what runc needs after loading (\`sysgate generate --target docker\` adds it) or deny with an errno action`,
        { exitCode: result.exitCode, stderr: result.stderr },
      );
    // A workload that ended on its own after the signal keeps its exit status; one we killed does not.
    if (result.interrupted !== undefined && result.signal !== null) throwIfInterrupted();
    return result;
  });
}

/**
 * Run `argv` in the sandbox with this process's stdin, stdout and stderr; resolves to its exit status
 * (128+N for a signal). SIGINT, SIGTERM and SIGHUP are forwarded to it; if it does not end, it is
 * killed, the sandbox removed, and `InterruptedError` thrown.
 */
export async function runSandboxedInteractive(
  engine: EngineName,
  policy: EnginePolicy | undefined,
  argv: readonly string[],
  options: SandboxRunOptions = {},
): Promise<number> {
  const r = await runWorkload(engine, policy, argv, options, {
    inheritStdin: true,
    stdout: 'inherit',
    stderr: 'inherit',
  });
  if (r.timedOut)
    throw new RuntimeError(
      engine,
      `${argv.join(' ')} timed out after ${(options.timeoutMs ?? 0) / 1000} s; it was killed and its sandbox removed`,
    );
  return r.exitCode ?? 128 + (r.signal === null ? 0 : signalNumber(r.signal));
}

/** Number of a signal name (SIGKILL -> 9), from the arch layer's table for this host. */
function signalNumber(signal: NodeJS.Signals): number {
  return Number(constantValue(signal) ?? 0n);
}

/** Run `argv` in the sandbox to completion, collecting its output (bounded); killed after `timeoutMs`. */
export async function runSandboxed(
  engine: EngineName,
  policy: EnginePolicy | undefined,
  argv: readonly string[],
  options: SandboxRunOptions = {},
): Promise<ProcessResult> {
  return runWorkload(engine, policy, argv, options, { stdin: options.stdin ?? '' });
}

/** A sandboxed process running in the background. */
export interface BackgroundSandbox {
  /** Resolves when the sandbox exits by itself (or is stopped), with what it printed. */
  readonly exited: Promise<ProcessResult>;
  /** Whether it has exited. */
  readonly hasExited: () => boolean;
  /** Kill it and clean up; resolves with what it printed. */
  readonly stop: () => Promise<ProcessResult>;
}

/** Start `argv` in the sandbox in the background (a server), output collected (bounded). */
export async function startSandboxed(
  engine: EngineName,
  policy: EnginePolicy | undefined,
  argv: readonly string[],
  options: SandboxOptions = {},
): Promise<BackgroundSandbox> {
  const cmd = await sandboxCommand(engine, policy, argv, options);
  const child = spawnProcess(cmd.file, cmd.args, {
    runtime: engine,
    extraFds: cmd.extraFds,
    forwardSignals: true,
  });
  let done = false;
  const exited = child.done.then(
    (r) => r,
    (e: unknown): ProcessResult => ({
      exitCode: 127,
      signal: null,
      stdout: '',
      stderr: e instanceof Error ? e.message : String(e),
      timedOut: false,
    }),
  );
  void exited.then(() => {
    done = true;
  });
  return {
    exited,
    hasExited: () => done,
    stop: async () => {
      if (!done) child.kill('SIGKILL');
      await guardSignals(() => cmd.cleanup());
      return exited;
    },
  };
}

/** The `docker run` mount arguments sysgate's image needs (see `hostMountArgs`). */
export function imageMountArgs(): string[] {
  return hostMountArgs();
}

/**
 * Build sysgate's tiny image under `tag` (default `DEFAULT_IMAGE`) with `docker import`: only the
 * host's top-level links and empty mount points; /usr and /etc are bind-mounted at run time. An
 * existing image of that tag is kept unless `rebuild`. Returns the tag.
 */
export async function buildImage(tag: string = DEFAULT_IMAGE, rebuild = false): Promise<string> {
  if (tag === DEFAULT_IMAGE && !rebuild) return ensureImage(tag);
  const exists = await execCollect('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], {
    runtime: 'docker',
  });
  if (exists.exitCode === 0 && !rebuild) return tag;
  const r = await execCollect(
    'docker',
    ['import', '--message', 'sysgate base: host /usr and /etc are bind-mounted', '-', tag],
    { runtime: 'docker', stdin: rootfsTar(hostRootfsLayout()) },
  );
  if (r.exitCode !== 0)
    throw new RuntimeError('docker', `docker import ${tag} failed: ${r.stderr.trim()}`, {
      exitCode: r.exitCode,
      stderr: r.stderr,
    });
  return tag;
}
