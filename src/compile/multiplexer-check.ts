/**
 * The multiplexer bypass check: on the ABIs that multiplex socket and IPC calls (x86, s390, ppc,
 * mips o32), libseccomp adds for every rule on such a call a rule for its multiplexer
 * (`socketcall(SYS_SOCKET)`, `ipc(SHMGET)`) that keeps only the sub-call number: the multiplexer's
 * own arguments are a pointer seccomp cannot read. So a profile that allows `socket` only for
 * AF_UNIX allows every family through `int $0x80` with eax=102, ebx=1. The check asks the decision
 * model, per host whose filter covers such an ABI: does the direct call refuse some arguments while
 * the multiplexed call with that sub-call number is allowed for some arguments?
 */
import {
  archByScmpName,
  archInfo,
  multiplexerFor,
  syscallNumber,
  type LibseccompVersion,
} from '../arch/index.js';
import type { ArchName } from '../arch/types.js';
import { DOCKER_DEFAULT_ARCH_MAP } from '../kb/index.js';
import { actionKind } from '../bpf/seccomp.js';
import { ProfileError, type ProfileIssue } from '../profile/errors.js';
import type { Profile } from '../profile/types.js';
import { resolveProfile, type KernelVersion } from '../profile/resolve.js';
import { buildPlan } from './build.js';
import type { PlanLeaf, PlanNode } from './plan.js';

/** Options of {@link multiplexerBypassIssues}. */
export interface MultiplexerCheckOptions {
  /** Bounding capabilities the profile is resolved with (`includes.caps`). */
  readonly caps: readonly string[];
  /** Kernel the profile is resolved for (`includes.minKernel`). */
  readonly kernel: KernelVersion;
  /** libseccomp runc links with. */
  readonly libseccomp?: LibseccompVersion;
}

/** How a sub-call is written: `socketcall(SYS_SOCKET)`, `ipc(SHMGET)` (the uapi constant names). */
export function multiplexedCallText(name: string, multiplexer: string): string {
  return `${multiplexer}(${multiplexer === 'socketcall' ? 'SYS_' : ''}${name.toUpperCase()})`;
}

/** Why an argument filter on `name` does not hold through its multiplexer (one home for the sentence). */
export function multiplexerReason(
  name: string,
  multiplexer: string,
  abis: readonly string[],
): string {
  const why =
    multiplexer === 'socketcall'
      ? "socketcall's arguments are a pointer to the real ones, which seccomp cannot read"
      : `${multiplexer} passes the call's arguments shifted by one, so the conditions are checked against other values`;
  return `on ${abis.join('/')} libseccomp also allows ${multiplexedCallText(name, multiplexer)} checking only the sub-call number, because ${why}`;
}

/** Whether a return value lets the call run. */
function lets(leaf: PlanLeaf): boolean {
  const k = actionKind(leaf.value);
  return k === 'allow' || k === 'log';
}

/** Leaves of a plan DAG reachable when argument 0 is `arg0` (the other arguments are free). */
function reachable(root: PlanNode, arg0: number | undefined): PlanLeaf[] {
  const out = new Set<PlanLeaf>();
  const seen = new Set<PlanNode>();
  const stack: PlanNode[] = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.kind === 'ret') {
      out.add(n);
      continue;
    }
    if (n.arg !== 0 || arg0 === undefined) {
      stack.push(n.then, n.else);
      continue;
    }
    const word = n.word === 'lo' ? arg0 >>> 0 : 0;
    const w = (word & n.mask) >>> 0;
    const d = n.datum >>> 0;
    const ok =
      n.op === 'eq' ? w === d : n.op === 'gt' ? w > d : n.op === 'ge' ? w >= d : (word & d) !== 0;
    stack.push(ok ? n.then : n.else);
  }
  return [...out];
}

/** The hosts whose filter covers a multiplexing ABI the profile names. */
function hostsFor(profile: Profile): ArchName[] {
  const scmp = new Set([
    ...profile.architectures,
    ...(profile.archMap ?? []).flatMap((e) => [e.architecture, ...e.subArchitectures]),
  ]);
  const hosts = new Set<ArchName>();
  for (const s of scmp) {
    const a = archByScmpName(s);
    if (!a?.multiplexed) continue;
    const parent = DOCKER_DEFAULT_ARCH_MAP.find((e) => e.subArchitectures.includes(s));
    const host = parent === undefined ? a : archByScmpName(parent.architecture);
    if (host !== undefined) hosts.add(host.name);
  }
  return [...hosts];
}

/**
 * One warning per argument-filtered socket/IPC call that its multiplexer lets through, pointing at
 * the filtered rule. Profiles the real stack refuses yield nothing here (the checker reports them).
 */
export function multiplexerBypassIssues(
  profile: Profile,
  opts: MultiplexerCheckOptions,
): ProfileIssue[] {
  interface Leak {
    name: string;
    mux: string;
    pointer: string;
    abis: Set<ArchName>;
  }
  const leaks = new Map<string, Leak>();
  for (const host of hostsFor(profile)) {
    let plan;
    try {
      const resolved = resolveProfile(profile, {
        arch: host,
        caps: opts.caps,
        kernel: opts.kernel,
      });
      if (resolved === null) continue;
      plan = buildPlan(resolved, {
        arch: host,
        ...(opts.libseccomp !== undefined ? { libseccomp: opts.libseccomp } : {}),
      });
    } catch (e) {
      if (e instanceof ProfileError) continue;
      throw e;
    }
    for (const a of plan.arches) {
      if (!archInfo(a.arch).multiplexed) continue;
      for (const s of a.syscalls) {
        const mux = multiplexerFor(a.arch, s.name);
        if (mux === undefined || s.nr !== syscallNumber(a.arch, s.name)) continue;
        // The direct call: do its arguments decide (some refused, some let through)?
        const direct = reachable(s.root, undefined);
        const filtered = direct.find((l) => lets(l) && l.origin.kind === 'rule');
        if (filtered === undefined || !direct.some((l) => !lets(l))) continue;
        // The multiplexed call with its sub-call number: let through for some arguments?
        const muxRoot = a.syscalls.find((m) => m.nr === mux.nr)?.root ?? a.defaultLeaf;
        if (!reachable(muxRoot, mux.call).some(lets)) continue;
        const pointer = filtered.origin.kind === 'rule' ? filtered.origin.pointer : '';
        const key = `${s.name}\0${pointer}`;
        const leak = leaks.get(key) ?? {
          name: s.name,
          mux: mux.syscall,
          pointer,
          abis: new Set<ArchName>(),
        };
        leak.abis.add(a.arch);
        leaks.set(key, leak);
      }
    }
  }
  return [...leaks.values()].map((l): ProfileIssue => ({
    code: 'multiplexer-bypass',
    severity: 'warning',
    message: `${l.name} is argument-filtered, but ${multiplexerReason(l.name, l.mux, [...l.abis])}: any arguments pass there; refuse ${l.mux} unconditionally or leave the ABI out of the profile`,
    pointer: l.pointer,
  }));
}
