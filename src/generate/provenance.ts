/**
 * Provenance: where a piece of evidence, and the profile generated from it, came from. Each recording
 * says when it ran, the command, the image (name, id and registry digests) for container recordings,
 * and the versions of the tools that made it (sysgate, strace, the host's libseccomp, the kernel),
 * so a profile can be told apart from the workload it no longer covers (`sysgate drift`).
 *
 * In a profile the provenance rides in the first rule's `comment` (moby's `Syscall.comment`, the
 * only free-text field Docker, runc and sysgate read without a warning): one line
 * `sysgate provenance {JSON}` before the rule's own comment. JSON text has no raw newline, so the
 * line reads back exactly ({@link profileProvenance}).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Profile } from '../profile/types.js';

/** The tools that made a recording, by version. */
export interface ToolVersions {
  readonly sysgate: string;
  /** `strace -V`, when strace ran. */
  readonly strace?: string;
  /** The host's libseccomp shared library (the one runc links against). */
  readonly libseccomp?: string;
  /** `uname -r`. */
  readonly kernel: string;
}

/** The image a container recording ran. */
export interface ImageProvenance {
  /** As given (`app:1.2`). */
  readonly name: string;
  /** The local image id (`sha256:...`). */
  readonly id: string;
  /** Registry digests (`repo@sha256:...`); empty for an image never pushed or pulled. */
  readonly digests: readonly string[];
}

/** Where one recording came from. */
export interface Provenance {
  /** ISO time it ran. */
  readonly date: string;
  /** The command (empty: the image's entrypoint and command). */
  readonly command: readonly string[];
  readonly image?: ImageProvenance;
  readonly tools: ToolVersions;
}

/** The prefix of the provenance line in a rule comment. */
export const PROVENANCE_PREFIX = 'sysgate provenance ';

let version: string | undefined;

/** sysgate's own version (package.json, two folders above this module in src/ and dist/). */
export function sysgateVersion(): string {
  if (version !== undefined) return version;
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: unknown };
    version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    version = 'unknown';
  }
  return version;
}

/** Where distributions install the shared libseccomp (`libseccomp.so.2.X.Y`). */
const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/lib64',
  '/usr/lib',
  '/lib',
];

/** The version of the host's libseccomp, from its shared library's file name (`2.5.4`). */
export function libseccompLibraryVersion(): string | undefined {
  for (const dir of LIB_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^libseccomp\.so\.(\d+\.\d+\.\d+)$/.exec(n);
      if (m?.[1] !== undefined) return m[1];
    }
  }
  return undefined;
}

/** `strace -V`'s version (`6.1`), or undefined when it does not run. */
export function straceVersion(stracePath = 'strace'): string | undefined {
  const r = spawnSync(stracePath, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return undefined;
  return /version\s+(\S+)/.exec(r.stdout)?.[1];
}

/** {@link straceVersion} without waiting for it: strace -V runs while the caller goes on. */
export function straceVersionAsync(stracePath = 'strace'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const child = spawn(stracePath, ['-V'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(
        code === 0 ? /version\s+(\S+)/.exec(Buffer.concat(out).toString('utf8'))?.[1] : undefined,
      );
    });
  });
}

/**
 * The tool versions of this machine (`strace` when it was used: a path to ask, or the version
 * already known).
 */
export function toolVersions(stracePath?: string | { readonly strace: string }): ToolVersions {
  const strace =
    stracePath === undefined
      ? undefined
      : typeof stracePath === 'string'
        ? straceVersion(stracePath)
        : stracePath.strace;
  const libseccomp = libseccompLibraryVersion();
  return {
    sysgate: sysgateVersion(),
    ...(strace !== undefined ? { strace } : {}),
    ...(libseccomp !== undefined ? { libseccomp } : {}),
    kernel: release(),
  };
}

/** The provenance line of a profile made from recordings (undefined when there are none). */
export function provenanceLine(list: readonly Provenance[]): string | undefined {
  if (list.length === 0) return undefined;
  return `${PROVENANCE_PREFIX}${JSON.stringify(list.length === 1 ? list[0] : list)}`;
}

/** `profile` with the provenance line before its first rule's comment (unchanged without rules). */
export function withProvenance(profile: Profile, list: readonly Provenance[]): Profile {
  const line = provenanceLine(list);
  const first = profile.syscalls[0];
  if (line === undefined || first === undefined) return profile;
  const rest = first.comment === undefined || first.comment === '' ? '' : `\n${first.comment}`;
  return {
    ...profile,
    syscalls: [{ ...first, comment: `${line}${rest}` }, ...profile.syscalls.slice(1)],
  };
}

/** The provenance a profile carries (none when its first rule's comment has no provenance line). */
export function profileProvenance(profile: Profile): Provenance[] {
  const comment = profile.syscalls[0]?.comment ?? '';
  if (!comment.startsWith(PROVENANCE_PREFIX)) return [];
  const line = comment.split('\n', 1)[0] ?? '';
  try {
    const v = JSON.parse(line.slice(PROVENANCE_PREFIX.length)) as Provenance | Provenance[];
    return Array.isArray(v) ? v : [v];
  } catch {
    return [];
  }
}

/** One line about a provenance, for people: `app:1 (sha256:1234abcd...) at DATE, sysgate 0.1.0...`. */
export function describeProvenance(p: Provenance): string {
  const what =
    p.image !== undefined
      ? `image ${p.image.name} (${p.image.id.slice(0, 19)}${p.image.digests.length > 0 ? `, ${p.image.digests.join(', ')}` : ''})`
      : 'host';
  const cmd = p.command.length > 0 ? ` ${p.command.join(' ')}` : '';
  const t = p.tools;
  return `${what}${cmd} recorded ${p.date} with sysgate ${t.sysgate}${t.strace !== undefined ? `, strace ${t.strace}` : ''}${t.libseccomp !== undefined ? `, libseccomp ${t.libseccomp}` : ''}, kernel ${t.kernel}`;
}
