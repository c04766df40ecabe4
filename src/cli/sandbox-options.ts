/**
 * Sandbox options shared by every command that runs a workload (`run`, `test`, `doctor`, `record`):
 * the engine, the Docker image, bind mounts, the network, the cgroup limits and the time bound.
 * Registered by {@link addSandboxOptions} with one wording and one default for every command, and
 * parsed by {@link sandboxOptionsFrom}.
 */
import type { Command } from 'commander';
import { cwdBind, parseBind } from '../run/binds.js';
import type { BindMount } from '../run/engines/bwrap.js';
import {
  DEFAULT_LIMITS,
  parseCount,
  parseMemory,
  parseTimeout,
  type ResourceLimits,
} from '../run/limits.js';

/** The sandbox options as commander hands them over. */
export interface SandboxCliOptions {
  engine?: string | undefined;
  image?: string | undefined;
  bind?: string[] | undefined;
  cwd?: boolean | undefined;
  net?: boolean | undefined;
  pidsLimit?: string | undefined;
  memory?: string | undefined;
  timeout?: string | undefined;
}

/** Which of the sandbox options one command takes. */
export interface SandboxOptionSpec {
  /** `--engine`'s default and its help (omit `--engine` when absent). */
  readonly engine?: { readonly default?: string; readonly help: string };
  /** `--timeout`'s default in seconds (omit `--timeout` when absent). */
  readonly timeoutSeconds?: number;
  /** What `--timeout` bounds, for the help (default: the command). */
  readonly timeoutScope?: string;
  /** Whether the command takes `--net` (default: yes). */
  readonly net?: boolean;
  /** Whether the command takes `--image` (default: yes). */
  readonly image?: boolean;
  /** Whether the command takes `--bind` and `--no-cwd` (default: yes). */
  readonly binds?: boolean;
}

/** Collect a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Bytes as the help shows them (`4g`, `512m`). */
function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** Register the sandbox options on a command. */
export function addSandboxOptions(cmd: Command, spec: SandboxOptionSpec = {}): Command {
  if (spec.engine !== undefined)
    cmd.option('--engine <engine>', spec.engine.help, spec.engine.default);
  if (spec.image ?? true)
    cmd.option('--image <image>', "docker image (default: sysgate's own, see 'sysgate image')");
  if (spec.net ?? true)
    cmd.option('--net', "keep the host's network (default: a private network namespace)");
  if (spec.binds ?? true)
    cmd
      .option(
        '--bind <src[:dst][:rw]>',
        'bind a host path into the sandbox, read-only unless :rw (repeatable)',
        collect,
        [],
      )
      .option('--no-cwd', 'do not bind the current directory (the command then starts in /)');
  cmd
    .option(
      '--pids-limit <n>',
      `runc/crun/docker/podman: most processes and threads in the container, 0 for none (default: ${DEFAULT_LIMITS.pids ?? 0})`,
    )
    .option(
      '--memory <size>',
      `runc/crun/docker/podman: most memory, swap included, e.g. 512m, 0 for none (default: ${sizeText(DEFAULT_LIMITS.memoryBytes ?? 0)})`,
    );
  if (spec.timeoutSeconds !== undefined)
    cmd.option(
      '--timeout <seconds>',
      `kill ${spec.timeoutScope ?? 'the command'} after this many seconds, 0 for never (default: ${spec.timeoutSeconds})`,
    );
  return cmd;
}

/** What the sandbox options say, ready for the run layer. */
export interface SandboxSettings {
  /** The current directory's bind (unless `--no-cwd`), then `--bind`'s. */
  readonly binds: readonly BindMount[];
  /** Where the command starts: the current directory when bound, else `/`. */
  readonly cwd: string;
  readonly shareNet: boolean;
  readonly image?: string;
  readonly limits: ResourceLimits;
  /** Milliseconds, or undefined for no time bound. */
  readonly timeoutMs?: number;
}

/** Parse the sandbox options; `timeoutSeconds` is the command's default time bound. */
export function sandboxOptionsFrom(
  opts: SandboxCliOptions,
  timeoutSeconds?: number,
): SandboxSettings {
  const pids =
    opts.pidsLimit === undefined ? DEFAULT_LIMITS.pids : parseCount(opts.pidsLimit, '--pids-limit');
  const memoryBytes =
    opts.memory === undefined ? DEFAULT_LIMITS.memoryBytes : parseMemory(opts.memory);
  const timeoutMs =
    opts.timeout !== undefined
      ? parseTimeout(opts.timeout)
      : timeoutSeconds === undefined
        ? undefined
        : timeoutSeconds * 1000;
  const binds = (opts.bind ?? []).map((b) => parseBind(b));
  const here = opts.cwd === false ? undefined : cwdBind();
  return {
    binds: here === undefined ? binds : [here, ...binds],
    cwd: here?.target ?? '/',
    shareNet: opts.net === true,
    ...(opts.image !== undefined && { image: opts.image }),
    limits: {
      ...(pids !== undefined && { pids }),
      ...(memoryBytes !== undefined && { memoryBytes }),
    },
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}
