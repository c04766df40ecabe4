/**
 * Reading one side of `diff` (and the profile of `score`): a profile file, a raw BPF filter, a
 * running process or a Docker container. A path that exists is a file (raw BPF when it holds a NUL
 * byte or only hex digits, else a profile); digits name a process; anything else a container.
 * Prefixes force a kind: `profile:`, `bpf:`, `pid:`, `container:`.
 */
import { existsSync } from 'node:fs';
import { hostArch } from '../arch/host.js';
import type { ArchName } from '../arch/types.js';
import { hostEndian } from '../bpf/instruction.js';
import { validate } from '../bpf/validate.js';
import { compileProfile } from '../compile/compile.js';
import { RuntimeError, UsageError } from '../document/errors.js';
import { hostAbis, hostForAbis, type FilterSide } from '../review/diff.js';
import { containerSide, processSide } from '../review/diff-side.js';
import { readFilter } from './commands/disasm.js';
import { DOCKER_DEFAULT_PROFILE_TEXT } from '../kb/moby/default-profile.js';
import {
  loadForHost,
  loadTextForHost,
  parseArchOption,
  splitDocumentRef,
  type HostOptions,
  type LoadedForHost,
} from './host.js';
import { readInputBytes } from './io.js';

/** A side as read, with what is needed to print positions of profile rules. */
export interface ReadSide extends FilterSide {
  /** Which kind of input it was. */
  readonly kind: 'profile' | 'bpf' | 'pid' | 'container';
  /** For a profile: the JSON pointer -> line/column of its rules. */
  readonly locate?: (pointer: string) => { line: number; column: number } | undefined;
}

type Kind = ReadSide['kind'];

/** Whether a file's bytes are a raw filter rather than a profile document. */
function looksLikeBpf(file: string): boolean {
  const bytes = readInputBytes(file);
  if (bytes.includes(0)) return true;
  const text = bytes.toString('latin1');
  return bytes.length > 0 && /^[\s0-9a-fA-Fx,]*$/.test(text);
}

function classify(arg: string): { kind: Kind; ref: string } {
  const m = /^(profile|bpf|pid|container):(.+)$/.exec(arg);
  if (m?.[1] !== undefined && m[2] !== undefined && !existsSync(arg))
    return { kind: m[1] as Kind, ref: m[2] };
  if (arg === '-') return { kind: 'profile', ref: arg };
  if (existsSync(splitDocumentRef(arg).file))
    return { kind: existsSync(arg) && looksLikeBpf(arg) ? 'bpf' : 'profile', ref: arg };
  if (/^\d+$/.test(arg)) return { kind: 'pid', ref: arg };
  return { kind: 'container', ref: arg };
}

/** A loaded profile compiled into a side. */
function compiledSide(label: string, host: LoadedForHost): ReadSide {
  const c = compileProfile(host.resolved, {
    arch: host.arch,
    libseccompVersion: host.libseccomp,
    stack: host.stack.versions,
    stats: false,
  });
  return { kind: 'profile', label, filters: [c.program], plan: c.plan, locate: host.loaded.locate };
}

/** Docker's default profile (the one moby embeds, kb/moby) compiled for the host the options describe. */
export function dockerDefaultSide(opts: HostOptions): ReadSide {
  const label = "Docker's default profile";
  return compiledSide(label, loadTextForHost(label, DOCKER_DEFAULT_PROFILE_TEXT, opts));
}

/** Read one side for the host the options describe (the host arch resolves profiles). */
export async function readSide(arg: string, opts: HostOptions): Promise<ReadSide> {
  const { kind, ref } = classify(arg);
  switch (kind) {
    case 'profile':
      return compiledSide(ref, loadForHost(ref, opts));
    case 'bpf': {
      const prog = readFilter(ref, hostEndian());
      validate(prog);
      return { kind, label: ref, filters: [prog] };
    }
    case 'pid':
      return { kind, ...(await processSide(Number(ref))) };
    case 'container':
      try {
        return { kind, ...(await containerSide(ref)) };
      } catch (e) {
        if (
          e instanceof RuntimeError &&
          e.runtime === 'docker' &&
          !e.message.includes('not running')
        )
          throw new UsageError(
            `${ref}: no such file, process or running Docker container (${e.message.split('\n')[0] ?? ''})`,
            'unknown-side',
          );
        throw e;
      }
  }
}

/**
 * The ABIs a review command compares (`--arch`, else every ABI of the host machine) and the host
 * options its sides are read with (the machine that runs those ABIs).
 */
export function reviewTarget(
  opts: Omit<HostOptions, 'arch'> & { arch?: string[] | undefined; host?: string | undefined },
): { abis: ArchName[]; hostOpts: HostOptions } {
  const machine = opts.host === undefined ? hostArch() : parseArchOption(opts.host).name;
  const abis: ArchName[] =
    opts.arch === undefined
      ? hostAbis(machine)
      : [...new Set(opts.arch.map((a) => parseArchOption(a).name))];
  const host = opts.host === undefined ? hostForAbis(abis, machine) : machine;
  return { abis, hostOpts: { ...opts, arch: host } };
}
