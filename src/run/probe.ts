/**
 * Run a batch of raw system calls through the static prober inside a real sandbox and return what the
 * kernel did with each. Thousands of probes cost one sandbox start: the prober forks one child per
 * probe (surviving KILL and TRAP) or, with `fork: false`, issues them in one process and is restarted
 * after a probe that killed it. With forking, the probes that cannot end, trap or change the prober
 * (decided from the policy's filters: `mayShareProcess`) run in batches in one child each, and only the
 * others get a child of their own; the results are the same (a wrong guess costs a child, not a result:
 * see native/prober.c).
 */
import { constants as osConstants } from 'node:os';
import { hostArch } from '../arch/host.js';
import { compileProgram } from '../bpf/emulate.js';
import { decodeProgram } from '../bpf/instruction.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { runBwrap } from './engines/bwrap.js';
import { runDocker } from './engines/docker.js';
import { runOci, type OciRuntime } from './engines/oci.js';
import { SANDBOX_PROBER } from './rootfs.js';
import { proberPath } from './native.js';
import type { ProcessResult } from './process.js';
import { formatProbes, parseOutcome, type Probe, type ProbeOutcome } from './probe-format.js';
import { mayShareProcess, probeReturn } from './predict.js';

/** The engines sysgate can run a workload under. */
export type EngineName = 'bwrap' | 'runc' | 'crun' | 'docker' | 'podman';

/** Every engine name, in the order `auto` tries them. */
export const ENGINE_NAMES: readonly EngineName[] = ['bwrap', 'runc', 'crun', 'docker', 'podman'];

/**
 * The seccomp policy to probe: raw BPF for bwrap (one program, or several stacked oldest first), a
 * profile document for runc/crun (OCI `linux.seccomp`) and docker (Docker or OCI profile JSON, as an
 * object or as the text Docker reads, or `'unconfined'`), or `undefined`: no filter (bwrap, runc,
 * crun) or Docker's default profile (docker).
 */
export type ProbePolicy = Uint8Array | readonly Uint8Array[] | object | string | undefined;

/** Options of `runProbes`. */
export interface ProbeRunOptions {
  /**
   * Fork a child per probe (default true; see `batch`); false runs every probe in the prober itself,
   * which needs the start-up syscalls allowed and a restart after each kill.
   */
  readonly fork?: boolean;
  /**
   * With forking: run the probes that cannot end, trap or change the prober in batches, one child per
   * run of them (default true); false: a child for every probe.
   */
  readonly batch?: boolean;
  /**
   * runc, crun and docker: the return value the engine's filter gives each probe, as sysgate models
   * the engine's loader (`probeModel` in suite-engine.ts), from which batching picks its probes;
   * without it every probe gets its own child there. bwrap batches from the policy's own BPF.
   */
  readonly model?: (probe: Probe) => number;
  /** Seconds after which a forked probe is killed (SIGALRM, reported as signal 14); default 5. */
  readonly probeTimeoutSec?: number;
  /**
   * bwrap only: who loads the BPF. `sandbox` (default for one program) is `bwrap --seccomp` (stacked
   * programs: `bwrap --add-seccomp-fd` each), so the filter also covers the prober's own start-up;
   * `prober` loads it in each forked child right before its probe, so any program can be probed
   * (default for stacked programs).
   */
  readonly loader?: 'sandbox' | 'prober';
  /** The prober binary (default `proberPath()`: the checkout's native/build, else the packaged one). */
  readonly proberPath?: string;
  /** Kill one sandbox run after this many milliseconds (default 120000). */
  readonly batchTimeoutMs?: number;
  /** docker and podman only: the image (default: sysgate's own, see `ensureImage`). */
  readonly image?: string;
}

/** Where bwrap sandboxes see the prober (inside their private /tmp). */
const SANDBOX_PROBER_IN_BWRAP = '/tmp/.sysgate-prober';

/** Runs the prober once with the given arguments and input, inside the engine's sandbox. */
export type ProberLauncher = (
  proberArgs: readonly string[],
  input: string,
) => Promise<ProcessResult>;

/** Signal number from a process result (killed directly, or a runtime's 128+N convention). */
function deathSignal(r: ProcessResult): number | undefined {
  if (r.signal !== null) return osConstants.signals[r.signal];
  if (r.exitCode !== null && r.exitCode > 128 && r.exitCode < 128 + 65) return r.exitCode - 128;
  return undefined;
}

/** Whether `policy` is raw BPF (one program or a list of programs). */
function isBpf(policy: ProbePolicy): policy is Uint8Array | readonly Uint8Array[] {
  return (
    policy instanceof Uint8Array ||
    (Array.isArray(policy) && policy.every((p) => p instanceof Uint8Array))
  );
}

/**
 * Drive a launcher over all probes: parse the `ready` line and one outcome per probe; after a probe that
 * killed a non-forking prober, record the kill and go on with the rest in a new sandbox.
 */
export async function driveProber(
  launch: ProberLauncher,
  probes: readonly Probe[],
  options: Pick<ProbeRunOptions, 'fork' | 'probeTimeoutSec'> & {
    readonly runtime: string;
    /** Per probe: may share a child with its neighbours (the prober's `inline`). */
    readonly shared?: readonly boolean[];
  },
): Promise<ProbeOutcome[]> {
  const fork = options.fork ?? true;
  const args = [
    '--ready',
    '--timeout',
    String(options.probeTimeoutSec ?? 5),
    ...(fork ? [] : ['--nofork']),
  ];
  const results: ProbeOutcome[] = [];
  while (results.length < probes.length) {
    const rest = probes.slice(results.length);
    const shared = fork ? options.shared?.slice(results.length) : undefined;
    const r = await launch(args, formatProbes(rest, shared));
    const lines = r.stdout.split('\n');
    lines.pop(); // an incomplete last line is ignored
    const describe = (): string =>
      `${r.timedOut ? 'timed out' : r.signal !== null ? `killed by ${r.signal}` : `exit ${r.exitCode}`}: ${r.stderr.trim()}`;
    if (lines[0] !== `ready ${rest.length}`) {
      throw new RuntimeError(
        options.runtime,
        `the prober did not start under ${options.runtime} (${describe()})`,
        {
          exitCode: r.exitCode,
          stderr: r.stderr,
        },
      );
    }
    const got = lines.slice(1).map(parseOutcome);
    results.push(...got.slice(0, rest.length));
    if (got.length >= rest.length) break;
    const sig = deathSignal(r);
    if (fork || sig === undefined || r.timedOut) {
      throw new RuntimeError(
        options.runtime,
        `the prober stopped after ${results.length} of ${probes.length} probes under ${options.runtime} (${describe()})`,
        { exitCode: r.exitCode, stderr: r.stderr },
      );
    }
    results.push({ kind: 'signal', signal: sig });
  }
  return results;
}

/** A launcher running the prober under bubblewrap. */
function bwrapLauncher(policy: ProbePolicy, options: ProbeRunOptions): ProberLauncher {
  if (policy !== undefined && !isBpf(policy)) {
    throw new UsageError(
      'the bwrap engine loads raw BPF; compile the profile first (or use runc, crun or docker)',
    );
  }
  const programs =
    policy === undefined ? [] : policy instanceof Uint8Array ? [policy] : [...policy];
  const loader = options.loader ?? (programs.length > 1 ? 'prober' : 'sandbox');
  // The prober is bind-mounted into the sandbox's private /tmp: its host path may itself be under
  // /tmp (a checkout in /tmp), which the sandbox hides behind a fresh tmpfs.
  const binds = [{ source: proberPath(options.proberPath), target: SANDBOX_PROBER_IN_BWRAP }];
  const prober = SANDBOX_PROBER_IN_BWRAP;
  return (args, input) => {
    const timeoutMs = options.batchTimeoutMs ?? 120_000;
    if (loader === 'prober') {
      const fdArgs = programs.flatMap((_, i) => ['--filter-fd', String(3 + i)]);
      return runBwrap({
        argv: [prober, ...fdArgs, ...args],
        binds,
        stdin: input,
        extraFds: programs,
        timeoutMs,
      });
    }
    // One program: bwrap --seccomp; several: one --add-seccomp-fd each, stacked in order.
    return runBwrap({
      argv: [prober, ...args],
      binds,
      stdin: input,
      timeoutMs,
      ...(programs.length > 0 && { filter: programs }),
    });
  };
}

/** A launcher running the prober as the command of a fresh runc or crun container. */
function ociLauncher(
  runtime: OciRuntime,
  policy: ProbePolicy,
  options: ProbeRunOptions,
): ProberLauncher {
  if (isBpf(policy) || typeof policy === 'string') {
    throw new UsageError(
      `the ${runtime} engine takes an OCI seccomp profile object, not raw BPF or a profile's text`,
    );
  }
  const prober = proberPath(options.proberPath); // fails early when there is none
  return (args, input) =>
    runOci({
      runtime,
      argv: [SANDBOX_PROBER, ...args],
      prober,
      stdin: input,
      timeoutMs: options.batchTimeoutMs ?? 120_000,
      ...(policy !== undefined && { seccomp: policy }),
    });
}

/** A launcher running the prober as the command of a fresh Docker or Podman container. */
function dockerLauncher(
  cli: 'docker' | 'podman',
  policy: ProbePolicy,
  options: ProbeRunOptions,
): ProberLauncher {
  if (isBpf(policy)) throw new UsageError(`the ${cli} engine takes a seccomp profile, not raw BPF`);
  const prober = proberPath(options.proberPath);
  return (args, input) =>
    runDocker({
      cli,
      argv: [SANDBOX_PROBER, ...args],
      prober,
      stdin: input,
      timeoutMs: options.batchTimeoutMs ?? 120_000,
      ...(policy !== undefined && { seccomp: policy }),
      ...(options.image !== undefined && { image: options.image }),
    });
}

/**
 * Issue `probes` under `engine` with `policy` loaded and return one outcome per probe, in order.
 * Throws `UsageError` when the policy does not suit the engine and `RuntimeError` when the sandbox
 * or the prober fails.
 */
export async function runProbes(
  engine: EngineName,
  policy: ProbePolicy,
  probes: readonly Probe[],
  options: ProbeRunOptions = {},
): Promise<ProbeOutcome[]> {
  if (probes.length === 0) return [];
  let launch: ProberLauncher;
  switch (engine) {
    case 'bwrap':
      launch = bwrapLauncher(policy, options);
      break;
    case 'runc':
    case 'crun':
      launch = ociLauncher(engine, policy, options);
      break;
    case 'docker':
    case 'podman':
      launch = dockerLauncher(engine, policy, options);
      break;
    default: {
      const never: never = engine;
      throw new UsageError(`unknown engine ${String(never)}`);
    }
  }
  const host = hostArch();
  const retOf = options.batch === false || options.fork === false ? undefined : batchModel();
  return driveProber(launch, probes, {
    ...options,
    runtime: engine,
    ...(retOf !== undefined && { shared: sharedFlags(retOf) }),
  });

  /** `mayShareProcess` per probe, decided once per distinct probe (suites repeat theirs). */
  function sharedFlags(ret: (probe: Probe) => number): boolean[] {
    const seen = new Map<string, boolean>();
    return probes.map((p) => {
      const key = `${p.abi ?? 'native'} ${p.nr} ${(p.args ?? []).join(' ')}`;
      let shared = seen.get(key);
      if (shared === undefined) {
        shared = mayShareProcess(ret(p), p, host);
        seen.set(key, shared);
      }
      return shared;
    });
  }

  /** What batching decides from: bwrap's BPF itself (none: ALLOW), else the caller's model. */
  function batchModel(): ((probe: Probe) => number) | undefined {
    if (engine !== 'bwrap') return options.model;
    if (policy !== undefined && !isBpf(policy)) return undefined;
    const programs = policy === undefined ? [] : policy instanceof Uint8Array ? [policy] : policy;
    const filters = programs.map((b) => compileProgram(decodeProgram(b, 'host')));
    return (p) => probeReturn(filters, p, host);
  }
}
