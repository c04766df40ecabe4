import { release } from 'node:os';
import type { Command } from 'commander';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, resolveArch } from '../../arch/index.js';
import { ProfileError, UsageError, type ProfileIssue } from '../../errors.js';
import { loadProfile } from '../../profile/index.js';
import { stringifyJson, toOci, toOciObject } from '../../profile/convert/index.js';
import {
  dockerNativeArch,
  parseKernelRelease,
  resolveProfile,
  type ResolvedProfile,
  type ResolveHost,
} from '../../profile/resolve.js';
import type { LoadedProfile } from '../../profile/types.js';
import { err, readInput, writeOutput } from '../io.js';
import { hostArch } from './syscalls.js';

/** Options shared by every command that resolves a profile for a host. */
export interface HostOptions {
  arch?: string;
  caps?: string;
  kernel?: string;
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
    arch: opts.arch === undefined ? hostArch() : resolveArch(opts.arch).name,
    caps: parseCaps(opts.caps),
    kernel: parseKernel(opts.kernel),
  };
}

/** Read and fully check one profile file (`-` for stdin); every problem is thrown as a ProfileError. */
export function readProfile(file: string): LoadedProfile {
  return loadProfile(file, readInput(file));
}

/** Resolve, attaching file positions to whatever moby would refuse. */
export function resolveLoaded(loaded: LoadedProfile, host: ResolveHost): ResolvedProfile | null {
  try {
    return resolveProfile(loaded.profile, host);
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

/** One sentence describing the host, for stderr notes. */
export function describeHost(host: ResolveHost): string {
  const caps = host.caps.length === 0 ? 'no caps' : `${host.caps.length} cap(s)`;
  return `${host.arch}, ${caps}, kernel ${host.kernel.major}.${host.kernel.minor}`;
}

interface ResolveOptions extends HostOptions {
  json?: boolean;
  output?: string;
}

/** `sysgate resolve PROFILE`: apply moby's includes/excludes and archMap, print the OCI profile. */
export function register(program: Command): void {
  program
    .command('resolve')
    .description(
      "apply a Docker profile's includes/excludes and archMap as the Docker daemon does, and print the plain OCI profile runc receives",
    )
    .argument('<profile>', "profile file ('-' for stdin), any supported format")
    .option(
      '--arch <arch>',
      'native arch of the Docker host (x86_64, aarch64, amd64, arm64, ...); default: this machine',
    )
    .option(
      '--caps <list>',
      "container bounding caps: 'none', 'default' (Docker's 14), 'all', or a list like default,CAP_SYS_ADMIN",
      'default',
    )
    .option('--kernel <X.Y>', 'kernel version of the host; default: the running kernel')
    .option(
      '--json',
      'print host, OCI profile, source pointer of each kept rule and the dropped rules with reasons',
    )
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout')
    .addHelpText(
      'after',
      `
Resolution follows moby's setupSeccomp: excludes first (native arch listed, ANY cap present,
kernel >= minKernel drops the rule), then includes (native arch, ALL caps and kernel >= minKernel
required). Only the archMap entry of the native arch is used. Output is deterministic.
If the profile turns seccomp off (no defaultAction, no syscalls) the output is null.

Examples:
  sysgate resolve default.json
  sysgate resolve default.json --arch arm64 --caps none --kernel 5.10
  sysgate resolve default.json --caps default,CAP_SYS_ADMIN -o resolved.json
  sysgate resolve default.json --json | jq '.dropped[] | .reason'
  cat default.json | sysgate resolve - --arch amd64`,
    )
    .action((file: string, opts: ResolveOptions) => {
      const host = hostFromOptions(opts);
      const loaded = readProfile(file);
      const resolved = resolveLoaded(loaded, host);
      if (resolved === null)
        err('note: no defaultAction and no syscalls: Docker runs this container without seccomp');
      let text: string;
      if (opts.json === true) {
        text = stringifyJson({
          file,
          format: loaded.format,
          host: {
            arch: host.arch,
            native: resolved?.host.native ?? dockerNativeArch(host.arch),
            caps: host.caps,
            kernel: `${host.kernel.major}.${host.kernel.minor}`,
          },
          seccomp: resolved === null ? null : toOciObject(resolved),
          rules: (resolved?.syscalls ?? []).map((s) => ({
            pointer: s.pointer,
            names: s.names.length,
          })),
          dropped: (resolved?.dropped ?? []).map((d) => ({
            pointer: d.pointer,
            names: d.names,
            reason: d.reason,
            detail: d.detail,
          })),
        });
      } else {
        text = resolved === null ? 'null\n' : toOci(resolved);
      }
      writeOutput(opts.output ?? '-', text);
    });
}
