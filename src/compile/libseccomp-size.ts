/**
 * Will the container start? runc hands the profile to libseccomp, loads what libseccomp exports with
 * its ENOSYS stub in front (libcontainer/seccomp/patchbpf), and the kernel refuses a program of more
 * than BPF_MAXINSNS (4,096) instructions with EINVAL: the container does not start. This check measures
 * the program the libseccomp port (gen-bpf.ts) exports for the profile at optimize level 1 (runc 1.1)
 * and 2 (runc >= 1.2), and names the syscalls whose rules cost the most instructions. sysgate's own
 * compiler would split such a program into stacked filters (codegen.ts); runc does not.
 */
import { archByScmpName, hostArch, type LibseccompVersion } from '../arch/index.js';
import { X32_SYSCALL_BIT } from '../arch/arches.js';
import { multiplexerFor, syscallName } from '../arch/syscalls.js';
import type { ArchName } from '../arch/types.js';
import { BPF_MAXINSNS } from '../bpf/instruction.js';
import { DOCKER_DEFAULT_ARCH_MAP } from '../kb/index.js';
import { ProfileError, type ProfileIssue } from '../profile/errors.js';
import { resolveProfile, type KernelVersion } from '../profile/resolve.js';
import type { Profile } from '../profile/types.js';
import { runcAddsEnosysStub } from '../runc/rules.js';
import type { RuncProfileInput } from '../runc/rules.js';
import { libseccompLevels } from './libseccomp.js';

/** One syscall's share of libseccomp's program. */
export interface SyscallCost {
  /** The ABI. */
  readonly arch: ArchName;
  /** Syscall name (or `nrN`). */
  readonly name: string;
  /** Instructions of its blocks at optimize level 1. */
  readonly instructions: number;
  /** Pointers of the profile rules that name it, in document order. */
  readonly pointers: readonly string[];
}

/** What libseccomp, as runc uses it, makes of a resolved profile on one host. */
export interface LibseccompSize {
  /** The host. */
  readonly arch: ArchName;
  /** Instructions runc loads with libseccomp at optimize 1 (runc 1.1), its ENOSYS stub included. */
  readonly level1: number;
  /** The same at optimize 2 (runc >= 1.2 with more than 32 rules). */
  readonly level2: number;
  /** Instructions of runc's ENOSYS stub (included above). */
  readonly stub: number;
  /** Syscalls by instructions at level 1, most first. */
  readonly costs: readonly SyscallCost[];
}

/**
 * Length of runc's ENOSYS stub for the ABIs it covers (patchbpf `generateEnosysStub`): `ld arch`, a
 * `jeq` per AUDIT_ARCH token, a `ja` to the filter; per token `ld nr`, the x86_64/x32 split on bit 30
 * (a `jset` and a test per side) or one test (s390 and s390x one more for number 0); `ret ENOSYS`.
 */
export function runcStubLength(abis: readonly ArchName[]): number {
  if (abis.length === 0) return 0;
  const tokens = new Set(abis.map((a) => (a === 'x32' ? 'x86_64' : a)));
  let n = 3; // ld arch, ja, ret ENOSYS
  for (const t of tokens) {
    n += 2; // jeq token, ld nr
    if (t === 'x86_64') n += 3;
    else n += t === 's390' || t === 's390x' ? 2 : 1;
  }
  return n;
}

/** Measure what libseccomp exports for `resolved` on host `arch` (throws ProfileError on refusals). */
export function libseccompSize(
  resolved: RuncProfileInput,
  opts: { readonly arch: ArchName; readonly libseccomp?: LibseccompVersion },
): LibseccompSize {
  const { db, level1, level2 } = libseccompLevels(resolved, opts);
  const stubAbis = runcAddsEnosysStub(resolved.defaultAction)
    ? db.arches.filter((a) => resolved.architectures.includes(a.scmpName)).map((a) => a.name)
    : [];
  const stub = runcStubLength(stubAbis);
  // The syscalls of each name in the databases, then the rules naming each.
  const keysByName = new Map<string, string[]>();
  for (const a of db.arches) {
    for (const s of db.dbs.get(a.name)?.syscalls.values() ?? []) {
      const name = syscallName(a.name, s.num);
      if (name === undefined) continue;
      const list = keysByName.get(name) ?? [];
      list.push(`${a.name}:${s.num}`);
      keysByName.set(name, list);
    }
  }
  const pointersBy = new Map<string, string[]>();
  for (const r of db.runc) {
    // A socket or IPC call also costs its multiplexer's rules (socketcall, ipc) where there is one.
    const muxKeys = db.arches.flatMap((a) => {
      const mux = multiplexerFor(a.name, r.name);
      return mux === undefined ? [] : [`${a.name}:${mux.nr}`];
    });
    for (const key of [...(keysByName.get(r.name) ?? []), ...muxKeys]) {
      const list = pointersBy.get(key) ?? [];
      if (list[list.length - 1] !== r.pointer) list.push(r.pointer);
      pointersBy.set(key, list);
    }
  }
  const costs = [...level1.bySyscall]
    .map(([key, instructions]): SyscallCost => {
      const [section, nr] = key.split(':') as [ArchName, string];
      const n = Number(nr);
      // x86_64 and x32 share one section: x32's numbers carry bit 30.
      const arch: ArchName =
        section === 'x86_64' && (n & X32_SYSCALL_BIT) !== 0 && n !== -1 ? 'x32' : section;
      return {
        arch,
        name: syscallName(arch, n) ?? `nr${n}`,
        instructions,
        pointers: pointersBy.get(`${arch}:${n}`) ?? [],
      };
    })
    .sort((x, y) => y.instructions - x.instructions);
  return {
    arch: opts.arch,
    level1: level1.insns.length + stub,
    level2: level2.insns.length + stub,
    stub,
    costs,
  };
}

/** Options of {@link libseccompSizeIssues}. */
export interface LibseccompSizeCheckOptions {
  /** Bounding capabilities the profile is resolved with. */
  readonly caps: readonly string[];
  /** Kernel the profile is resolved for. */
  readonly kernel: KernelVersion;
  /** libseccomp runc links with. */
  readonly libseccomp?: LibseccompVersion;
  /** The host (default: this machine's arch when the profile covers it, else its first native arch). */
  readonly arch?: ArchName;
}

/** The host a profile is checked for: this machine when the profile covers it, else its first native ABI. */
function hostFor(profile: Profile): ArchName | undefined {
  const natives = new Set<ArchName>();
  for (const e of profile.archMap ?? []) {
    const a = archByScmpName(e.architecture);
    if (a) natives.add(a.name);
  }
  for (const s of profile.architectures) {
    const parent = DOCKER_DEFAULT_ARCH_MAP.find((e) => e.subArchitectures.includes(s));
    const a = archByScmpName(parent?.architecture ?? s);
    if (a) natives.add(a.name);
  }
  const here = hostArch();
  if (natives.size === 0 || natives.has(here)) return here;
  return [...natives][0];
}

/** How many syscalls a warning names. */
const NAMED = 3;

/**
 * A warning when libseccomp, as runc uses it, would export more than BPF_MAXINSNS instructions for the
 * profile on its host (at optimize level 1, runc 1.1, or 2, runc >= 1.2): the kernel refuses the filter
 * and the container does not start. It points at the first rule of the costliest syscall and names the
 * syscalls that cost the most. Profiles the real stack refuses yield nothing here.
 */
export function libseccompSizeIssues(
  profile: Profile,
  opts: LibseccompSizeCheckOptions,
): ProfileIssue[] {
  const arch = opts.arch ?? hostFor(profile);
  if (arch === undefined) return [];
  let size: LibseccompSize;
  try {
    const resolved = resolveProfile(profile, { arch, caps: opts.caps, kernel: opts.kernel });
    if (resolved === null) return [];
    size = libseccompSize(resolved, {
      arch,
      ...(opts.libseccomp !== undefined && { libseccomp: opts.libseccomp }),
    });
  } catch (e) {
    if (e instanceof ProfileError) return [];
    throw e;
  }
  const over = [
    ...(size.level1 > BPF_MAXINSNS ? [`${size.level1} at optimize 1 (runc 1.1)`] : []),
    ...(size.level2 > BPF_MAXINSNS ? [`${size.level2} at optimize 2 (runc >= 1.2)`] : []),
  ];
  if (over.length === 0) return [];
  const top = size.costs.slice(0, NAMED);
  const named = top
    .map((c) => {
      const rules = c.pointers.length;
      const first = c.pointers[0];
      return `${c.name} on ${c.arch} ${c.instructions}${rules > 0 ? ` (${rules} rule${rules === 1 ? '' : 's'}${first !== undefined ? ` from ${first}` : ''})` : ''}`;
    })
    .join(', ');
  return [
    {
      code: 'libseccomp-too-long',
      severity: 'warning',
      message:
        `on ${arch} libseccomp, as runc uses it, exports ${over.join(' and ')} instructions with runc's ENOSYS stub, ` +
        `more than BPF_MAXINSNS (${BPF_MAXINSNS}): the kernel refuses the filter and the container does not start. ` +
        `Most instructions: ${named}; merge values into ranges (SCMP_CMP_GE/LE), drop rules, or allow the syscall unconditionally`,
      pointer: top[0]?.pointers[0] ?? '/syscalls',
    },
  ];
}
