/**
 * Host options shared by every command that resolves a profile for a host (`--arch`, `--caps`,
 * `--kernel`, `--libseccomp`), and loading a profile for such a host.
 */
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { CAPABILITIES, resolveArch, type ArchName } from '../arch/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import type { LibseccompVersion } from '../arch/syscalls.js';
import { ProfileError, UsageError, type ProfileIssue } from '../errors.js';
import { loadProfile } from '../profile/index.js';
import {
  parseKernelRelease,
  resolveProfile,
  type ResolvedProfile,
  type ResolveHost,
} from '../profile/resolve.js';
import type { LoadedProfile } from '../profile/types.js';
import { err, readInput } from './io.js';
import { hostArch } from './commands/syscalls.js';

/** Options shared by every command that resolves a profile for a host. */
export interface HostOptions {
  arch?: string | undefined;
  caps?: string | undefined;
  kernel?: string | undefined;
  libseccomp?: string | undefined;
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
export function readProfile(arg: string): LoadedProfile {
  const { file, document } = splitDocumentRef(arg);
  return loadProfile(file, readInput(file), { document });
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

/** Parse `--libseccomp`: the libseccomp whose syscall table runc links against (default Debian 12's 2.5.4). */
export function parseLibseccomp(text: string | undefined): LibseccompVersion {
  if (text === undefined || text === '2.5.4' || text === '2.5') return '2.5.4';
  if (text === '2.6' || text.startsWith('2.6.')) return '2.6';
  throw new UsageError(`--libseccomp: expected 2.5.4 or 2.6, got '${text}'`);
}

/** A profile loaded and resolved for one host. */
export interface LoadedForHost {
  readonly loaded: LoadedProfile;
  readonly resolved: ResolvedProfile;
  readonly arch: ArchName;
  readonly libseccomp: LibseccompVersion;
}

/**
 * Load a profile file and resolve it for the host the options describe. Warnings (what the real stack
 * silently ignores) are summarised in one line on stderr; `sysgate validate` lists them.
 */
export function loadForHost(file: string, opts: HostOptions): LoadedForHost {
  const libseccomp = parseLibseccomp(opts.libseccomp);
  const ref = splitDocumentRef(file);
  const loaded = loadProfile(ref.file, readInput(ref.file), { libseccomp, document: ref.document });
  if (loaded.warnings.length > 0)
    err(
      `${file}: ${loaded.warnings.length} warning(s) about what the real stack ignores; run 'sysgate validate --libseccomp ${libseccomp} ${file}' to list them`,
    );
  const host = hostFromOptions(opts);
  const resolved = resolveLoaded(loaded, host);
  if (resolved === null)
    throw new UsageError(
      `${file}: the profile has no defaultAction and no syscalls; Docker runs without seccomp`,
      'seccomp-off',
    );
  return { loaded, resolved, arch: host.arch, libseccomp };
}
