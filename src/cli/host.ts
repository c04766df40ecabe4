/**
 * Host options shared by every command that resolves a profile for a host (`--arch`, `--caps`,
 * `--kernel`, `--libseccomp`): registered by {@link addHostOptions}, parsed here, and loading a
 * profile for such a host.
 */
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import type { Command } from 'commander';
import {
  ARCH_NAMES,
  CAPABILITIES,
  resolveArch,
  type ArchInfo,
  type ArchName,
} from '../arch/index.js';
import { hostEndian } from '../bpf/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import type { LibseccompVersion } from '../arch/syscalls.js';
import { ProfileError, type ProfileIssue } from '../profile/errors.js';
import { UsageError } from '../document/errors.js';
import { loadForRunc } from '../runc/index.js';
import {
  parseKernelRelease,
  resolveProfile,
  type ResolvedProfile,
  type ResolveHost,
} from '../profile/resolve.js';
import { dockerProfileText } from '../profile/convert/docker.js';
import type { LoadedProfile } from '../profile/types.js';
import { preparePolicy, type EnginePolicy } from '../run/suite-engine.js';
import { err, readInput } from './io.js';
import { closest, didYouMean } from './suggest.js';
import { hostArch } from '../arch/host.js';
import { libseccompLibraryVersion } from '../generate/provenance.js';
import {
  applyStackVersions,
  CURRENT_STACK,
  formatStackVersion,
  parseStackVersion,
  STACK_COMPONENTS,
  type RuntimeVersions,
  type StackComponent,
  type StackVersion,
} from '../compile/runtime-versions.js';
import type { BuildPlanOptions } from '../compile/build.js';
import { detectStackVersions } from '../run/detect.js';

/** The stack options (`--stack`, `--docker`, `--runc`, `--crun`, `--libseccomp`). */
export interface StackOptions {
  stack?: string | undefined;
  docker?: string | undefined;
  runc?: string | undefined;
  crun?: string | undefined;
  libseccomp?: string | undefined;
}

/** Options shared by every command that resolves a profile for a host. */
export interface HostOptions extends StackOptions {
  arch?: string | undefined;
  caps?: string | undefined;
  kernel?: string | undefined;
}

/** How one command takes the host options. */
export interface HostOptionSpec {
  /** The flag naming the host architecture: `--arch`, or `--host` where `--arch` names a call's ABI. */
  readonly archFlag?: '--arch' | '--host';
  /** What the architecture defaults to, for the help (default: this machine). */
  readonly archDefault?: string;
  /** Whether the command takes `--libseccomp` (default: yes); the other stack options it always takes. */
  readonly libseccomp?: boolean;
  /** Whether the command decides for a stack (`--stack`, `--docker`, `--runc`, `--crun`; default: yes). */
  readonly stack?: boolean;
  /** Which outputs the options apply to, as a help prefix (e.g. `oci/c`). */
  readonly scope?: string;
}

/** Register the host options on a command, with one wording and one default for every command. */
export function addHostOptions(cmd: Command, spec: HostOptionSpec = {}): Command {
  const scope = spec.scope === undefined ? '' : `${spec.scope}: `;
  cmd
    .option(
      `${spec.archFlag ?? '--arch'} <arch>`,
      `${scope}host architecture (x86_64, aarch64, amd64, arm64, ...); default: ${spec.archDefault ?? 'this machine'}`,
    )
    .option(
      '--caps <list>',
      `${scope}container bounding capabilities: 'none', 'default' (Docker's 14), 'all', or a list like default,CAP_SYS_ADMIN; default: Docker's`,
    )
    .option(
      '--kernel <X.Y>',
      `${scope}host kernel version, for minKernel; default: the running kernel`,
    );
  return addLibseccompOption(cmd, undefined, spec.libseccomp ?? true, spec.stack ?? true);
}

/**
 * Register the stack options: `--stack host|current`, then `--docker`, `--runc`, `--crun` and (unless
 * `withLibseccomp` is false) `--libseccomp`, each overriding the stack's component.
 */
export function addLibseccompOption(
  cmd: Command,
  purpose = 'syscall table runc links against',
  withLibseccomp = true,
  withStack = true,
): Command {
  if (withStack)
    cmd
      .option(
        '--stack <stack>',
        "container stack whose behaviour decides: 'host' (the versions installed here; current releases for what is missing) or 'current' (the newest releases); default: host",
      )
      .option('--docker <X.Y>', 'Docker daemon version (overrides --stack), e.g. 20.10 or 28.0')
      .option('--runc <X.Y>', 'runc version (overrides --stack), e.g. 1.1 or 1.2')
      .option('--crun <X.Y>', 'crun version (overrides --stack), recorded with the stack');
  if (withLibseccomp)
    cmd.option(
      '--libseccomp <X.Y>',
      `libseccomp ${purpose}: 2.5 (2.5.4) or 2.6 (overrides --stack); default: this machine's (${hostLibseccomp()})`,
    );
  return cmd;
}

/** Where each component of a chosen stack comes from. */
export type StackSource = 'host' | 'current' | 'option';

/** The stack a command decides for (`--stack` and the per-component options). */
export interface ChosenStack {
  /** `--stack`. */
  readonly base: 'host' | 'current';
  /** Every component's version. */
  readonly versions: Required<RuntimeVersions>;
  /** Where each version comes from: detected here, the current release, or an option. */
  readonly sources: Readonly<Record<StackComponent, StackSource>>;
  /** The syscall table of the libseccomp version. */
  readonly libseccomp: LibseccompVersion;
}

/** Parse one component option (`X.Y` or `X.Y.Z`, a distribution suffix allowed). */
function parseComponent(flag: string, text: string): StackVersion {
  const v = /^v?\d+\.\d+(?:\.\d+)?(?:[+~-].*)?$/.test(text) ? parseStackVersion(text) : undefined;
  if (v === undefined) throw new UsageError(`--${flag} expects X.Y, e.g. 1.2 (got '${text}')`);
  return v;
}

/** Resolve the stack options: the base stack, then each component option over it. */
export function parseStack(opts: StackOptions): ChosenStack {
  const base = opts.stack ?? 'host';
  if (base !== 'host' && base !== 'current')
    throw new UsageError(`--stack expects host or current (got '${base}')`, 'bad-stack');
  const given: Partial<Record<StackComponent, StackVersion>> = {};
  for (const c of STACK_COMPONENTS) {
    const text = opts[c];
    if (text !== undefined) given[c] = parseComponent(c, text);
  }
  // --libseccomp also names the syscall table, so it must be one sysgate has.
  const table = opts.libseccomp === undefined ? undefined : parseLibseccomp(opts.libseccomp);
  // `2.5` names the one 2.5 table sysgate has: 2.5.4's.
  if (table === '2.5.4') given.libseccomp = { major: 2, minor: 5, patch: 4 };
  // Detect only what no option gives (each probe runs a command).
  const detected: RuntimeVersions =
    base === 'host' && STACK_COMPONENTS.some((c) => given[c] === undefined)
      ? detectStackVersions()
      : {};
  const versions = {} as Record<StackComponent, StackVersion>;
  const sources = {} as Record<StackComponent, StackSource>;
  for (const c of STACK_COMPONENTS) {
    const g = given[c];
    const d = detected[c];
    if (g !== undefined) [versions[c], sources[c]] = [g, 'option'];
    else if (d !== undefined) [versions[c], sources[c]] = [d, 'host'];
    else [versions[c], sources[c]] = [CURRENT_STACK[c], 'current'];
  }
  const libseccomp = table ?? (versions.libseccomp.minor >= 6 ? '2.6' : '2.5.4');
  return { base, versions, sources, libseccomp };
}

/** The stack as JSON: `{stack, docker, runc, crun, libseccomp, sources}`. */
export function stackJson(stack: ChosenStack): Record<string, string | Record<string, string>> {
  return {
    stack: stack.base,
    ...Object.fromEntries(STACK_COMPONENTS.map((c) => [c, formatStackVersion(stack.versions[c])])),
    sources: { ...stack.sources },
  };
}

/**
 * The loader `explain`, `compile` and the other deciding commands model: Docker's (moby's resolution,
 * the Docker version's differences, then runc and libseccomp). `run` and `test` decide each engine by
 * its own loader instead (`ENGINE_LOADERS` in run/suite-engine.ts).
 */
export const DECIDING_LOADER = 'docker';

/** The loader a deciding command models, as JSON: `{engine, description}`. */
export function loaderJson(stack: ChosenStack): { engine: string; description: string } {
  const v = stack.versions;
  return {
    engine: DECIDING_LOADER,
    description: `moby's resolution with Docker ${formatStackVersion(v.docker)}'s differences, then runc ${formatStackVersion(v.runc)} with libseccomp ${formatStackVersion(v.libseccomp)}`,
  };
}

/** One line naming the stack: `Docker 20.10.24, runc 1.1.5, crun 1.8.1, libseccomp 2.5.4 (host)`. */
export function describeStack(stack: ChosenStack): string {
  const v = stack.versions;
  const parts = [
    `Docker ${formatStackVersion(v.docker)}`,
    `runc ${formatStackVersion(v.runc)}`,
    `crun ${formatStackVersion(v.crun)}`,
    `libseccomp ${formatStackVersion(v.libseccomp)}`,
  ];
  const from = STACK_COMPONENTS.filter((c) => stack.sources[c] !== stack.base).map(
    (c) => `${c} from ${stack.sources[c] === 'option' ? `--${c}` : stack.sources[c]}`,
  );
  return `${parts.join(', ')} (--stack ${stack.base}${from.length > 0 ? `; ${from.join(', ')}` : ''})`;
}

/**
 * Parse `--caps`: `none`, `default` (Docker's set), `all`, or a comma-separated list whose items may
 * omit the `CAP_` prefix, be lower case, or be `default` (so `default,sys_admin` adds one cap).
 */
export function parseCaps(text: string | undefined): string[] {
  if (text === undefined) return [...DOCKER_DEFAULT_CAPABILITIES];
  const caps = new Set<string>();
  for (const raw of text.split(',')) {
    const item = raw.trim().toUpperCase();
    if (item === '' || item === 'NONE') continue;
    if (item === 'DEFAULT') {
      for (const c of DOCKER_DEFAULT_CAPABILITIES) caps.add(c);
      continue;
    }
    if (item === 'ALL') {
      for (const c of Object.keys(CAPABILITIES)) caps.add(c);
      continue;
    }
    const cap = item.startsWith('CAP_') ? item : `CAP_${item}`;
    if (!Object.hasOwn(CAPABILITIES, cap))
      throw new UsageError(`unknown capability '${raw.trim()}' in --caps`);
    caps.add(cap);
  }
  return [...caps];
}

/**
 * Resolve an architecture option (any spelling `resolveArch` accepts: our names, `SCMP_ARCH_*`, Go's,
 * `amd64`, an AUDIT_ARCH token), with a suggestion when it fails.
 */
export function parseArchOption(text: string): ArchInfo {
  try {
    return resolveArch(text);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const hint = closest(text, [...ARCH_NAMES, 'amd64', 'arm64', 'i386']);
    throw new UsageError(
      `unknown architecture '${text}'${didYouMean(hint)}; expected one of: ${ARCH_NAMES.join(', ')}`,
      'unknown-arch',
    );
  }
}

/** Parse `--kernel` (`6.1`, or a whole release such as `6.1.0-18-amd64`); default: the running kernel. */
export function parseKernel(text: string | undefined): { major: number; minor: number } {
  const source = text ?? release();
  const v = parseKernelRelease(source);
  if (v === undefined) {
    throw new UsageError(
      text === undefined
        ? `cannot read the running kernel version from '${source}'; pass --kernel`
        : `--kernel expects MAJOR.MINOR, e.g. 6.1 (got '${text}')`,
    );
  }
  return v;
}

/** The host a profile is resolved for, from `--arch`, `--caps` and `--kernel`. */
export function hostFromOptions(opts: HostOptions): ResolveHost {
  return {
    arch: opts.arch === undefined ? hostArch() : parseArchOption(opts.arch).name,
    caps: parseCaps(opts.caps),
    kernel: parseKernel(opts.kernel),
  };
}

/** Read and fully check one profile file (`-` for stdin); every problem is thrown as a ProfileError. */
export function readProfile(arg: string): LoadedProfile {
  const { file, document } = splitDocumentRef(arg);
  return loadForRunc(file, readInput(file), { document });
}

/**
 * `FILE#NAME` names one profile of a file holding several (an SPO multi-document YAML, a ConfigMap,
 * Firecracker threads). A path that exists as given is never split.
 */
export function splitDocumentRef(arg: string): { file: string; document: string | undefined } {
  const hash = arg.lastIndexOf('#');
  if (hash <= 0 || arg === '-' || existsSync(arg)) return { file: arg, document: undefined };
  return { file: arg.slice(0, hash), document: arg.slice(hash + 1) };
}

/** Resolve, attaching file positions to whatever moby would refuse. */
export function resolveLoaded(loaded: LoadedProfile, host: ResolveHost): ResolvedProfile | null {
  return locatingErrors(loaded, () => resolveProfile(loaded.profile, host));
}

/** Run `f`, giving every issue of a `ProfileError` it throws its position in `loaded`'s file. */
export function locatingErrors<T>(loaded: LoadedProfile, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    const located = e.issues.map((i): ProfileIssue => {
      if (i.position !== undefined) return i;
      const pos = loaded.locate(i.pointer);
      return pos === undefined
        ? i
        : { ...i, position: { file: loaded.file, line: pos.line, column: pos.column } };
    });
    const [first, ...rest] = located;
    throw new ProfileError([first ?? e.issues[0], ...rest], e.message);
  }
}

let hostVersion: LibseccompVersion | undefined;

/**
 * The libseccomp of this machine (the one its runc links against), read from the shared library's
 * file name: 2.6 for 2.6.x and later, else 2.5.4 (also when none is installed: Debian 12's).
 */
export function hostLibseccomp(): LibseccompVersion {
  if (hostVersion !== undefined) return hostVersion;
  const minor = Number(/^2\.(\d+)\./.exec(libseccompLibraryVersion() ?? '')?.[1] ?? 5);
  const found: LibseccompVersion = minor >= 6 ? '2.6' : '2.5.4';
  hostVersion = found;
  return found;
}

/** Parse `--libseccomp`: the libseccomp whose syscall table runc links against (default: the host's). */
export function parseLibseccomp(text: string | undefined): LibseccompVersion {
  if (text === undefined) return hostLibseccomp();
  if (text === '2.5.4' || text === '2.5') return '2.5.4';
  if (text === '2.6' || text.startsWith('2.6.')) return '2.6';
  throw new UsageError(`--libseccomp: expected 2.5.4 or 2.6, got '${text}'`);
}

/** A profile loaded and resolved for one host. */
export interface LoadedForHost {
  readonly loaded: LoadedProfile;
  /** The profile as the chosen stack's Docker hands it to runc (moby's resolution + version differences). */
  readonly resolved: ResolvedProfile;
  /**
   * moby's resolution alone: the OCI profile sysgate hands runc and crun itself, and compiles for
   * bwrap (Docker's version differences apply only on the Docker path).
   */
  readonly moby: ResolvedProfile;
  readonly arch: ArchName;
  readonly libseccomp: LibseccompVersion;
  /** The stack the profile is decided for. */
  readonly stack: ChosenStack;
  /** What that stack's runc asks of libseccomp and its stub (for `buildPlan`). */
  readonly planOptions: BuildPlanOptions;
  /** One sentence per version difference that changed the profile or the plan. */
  readonly stackNotes: readonly string[];
  /** The file's text as read. */
  readonly text: string;
}

/**
 * Load a profile file and resolve it for the host the options describe. Warnings (what the real stack
 * silently ignores) are summarised in one line on stderr; `sysgate validate` lists them.
 */
export function loadForHost(file: string, opts: HostOptions): LoadedForHost {
  const stack = parseStack(opts);
  const libseccomp = stack.libseccomp;
  const host = hostFromOptions(opts); // a bad option is reported before the file is read
  const ref = splitDocumentRef(file);
  const text = readInput(ref.file);
  const loaded = loadForRunc(ref.file, text, { libseccomp, document: ref.document });
  if (loaded.warnings.length > 0)
    err(
      `${file}: ${loaded.warnings.length} warning(s) about what the real stack ignores; run 'sysgate validate --libseccomp ${libseccomp} ${file}' to list them`,
    );
  return decideFor(loaded, text, host, stack);
}

/** Load a profile text (one sysgate made, or embeds) for the host and stack the options describe. */
export function loadTextForHost(label: string, text: string, opts: HostOptions): LoadedForHost {
  const stack = parseStack(opts);
  const host = hostFromOptions(opts);
  const loaded = loadForRunc(label, text, { libseccomp: stack.libseccomp });
  return decideFor(loaded, text, host, stack);
}

/**
 * Resolve a loaded profile as moby does, then apply the stack's Docker version differences: what
 * `explain`/`compile` decide for (the Docker loader, see {@link DECIDING_LOADER}); the engines take
 * `moby` instead and each applies its own loader (`policyFor`).
 */
function decideFor(
  loaded: LoadedProfile,
  text: string,
  host: ResolveHost,
  stack: ChosenStack,
): LoadedForHost {
  const moby = resolveLoaded(loaded, host);
  if (moby === null)
    throw new UsageError(
      `${loaded.file}: the profile has no defaultAction and no syscalls; Docker runs without seccomp`,
      'seccomp-off',
    );
  const v = applyStackVersions(moby, stack.versions);
  return {
    loaded,
    resolved: v.profile,
    moby,
    arch: host.arch,
    libseccomp: stack.libseccomp,
    stack,
    planOptions: { arch: host.arch, libseccomp: stack.libseccomp, ...v.planOptions },
    stackNotes: v.notes,
    text,
  };
}

/** Load a profile for the host the options describe and prepare it for every engine. */
export function loadPolicy(file: string, opts: HostOptions): EnginePolicy {
  return policyFor(file, loadForHost(file, opts));
}

/**
 * A profile loaded for the host, prepared for every engine under the label `file`: each engine gets
 * the profile as its own loader sees it (`preparePolicy` applies the Docker version's differences to
 * the Docker plan only).
 */
export function policyFor(file: string, host: LoadedForHost): EnginePolicy {
  const document = dockerProfileText(host.loaded, host.text);
  // Podman resolves the same file with containers/common's setupSeccomp (kb/podman.ts).
  const podman = locatingErrors(host.loaded, () =>
    resolveProfile(host.loaded.profile, host.moby.host, 'containers-common'),
  );
  return preparePolicy(
    file,
    document,
    host.moby,
    host.arch,
    host.libseccomp,
    host.stack.versions,
    podman ?? undefined,
  );
}

/** Prepare a profile text (a fixed profile doctor made) for the engines on the host `opts` describe. */
export function policyFromText(label: string, text: string, opts: HostOptions): EnginePolicy {
  const host = loadTextForHost(label, text, opts);
  return policyFor(label, host);
}

/** One sentence describing the host, for stderr notes. */
export function describeHost(host: ResolveHost): string {
  const caps = host.caps.length === 0 ? 'no caps' : `${host.caps.length} cap(s)`;
  return `${host.arch}, ${caps}, kernel ${host.kernel.major}.${host.kernel.minor}`;
}

/** Parse `--endian` (little, big, host). */
export function parseEndian(
  text: string | undefined,
  arch: ArchInfo | undefined,
): 'little' | 'big' {
  if (text === undefined) return arch?.endian ?? hostEndian();
  if (text === 'host') return hostEndian();
  if (text === 'little' || text === 'big') return text;
  throw new UsageError(`--endian must be little, big or host, not '${text}'`);
}
