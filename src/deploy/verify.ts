/**
 * `verify`: the checks the nginx document does by hand on a deployed container, as one verdict. The
 * container runs in seccomp filter mode; Docker recorded the profile it was started with; the filters
 * the kernel really runs in it decide exactly as the profile compiled for that host (its bounding
 * capabilities and kernel) would, on every ABI; and calls the profile refuses are really refused
 * inside, with the profile's outcome.
 */
import { randomBytes } from 'node:crypto';
import type { ArchName } from '../arch/types.js';
import { syscallNumber } from '../arch/syscalls.js';
import { compileProfile } from '../compile/compile.js';
import { inspectContainer, readSeccompStatus } from '../diagnose/inspect.js';
import { RuntimeError } from '../document/errors.js';
import { parseProfile } from '../profile/parse.js';
import { resolveProfile, type KernelVersion } from '../profile/resolve.js';
import type { LoadedProfile } from '../profile/types.js';
import { writeProfile } from '../profile/write.js';
import { diffFilters, type Difference } from '../review/diff.js';
import { containerSide } from '../review/diff-side.js';
import { proberPath } from '../run/native.js';
import { predictOutcome, stackedReturn } from '../run/predict.js';
import { driveProber } from '../run/probe.js';
import {
  formatOutcome,
  probeSeccompData,
  sameOutcome,
  type Probe,
  type ProbeOutcome,
} from '../run/probe-format.js';
import { execCollect } from '../run/process.js';
import { execute } from '../bpf/emulate.js';
import type { Instruction } from '../bpf/instruction.js';
import type { LibseccompVersion } from '../arch/syscalls.js';

/** The checks, in the order they run. */
export const VERIFY_CHECKS = [
  'seccomp-mode',
  'docker-profile',
  'loaded-filters',
  'refused-calls',
] as const;
export type VerifyCheckId = (typeof VERIFY_CHECKS)[number];

/** One check's verdict. */
export interface VerifyCheck {
  readonly id: VerifyCheckId;
  readonly ok: boolean;
  readonly detail: string;
}

/** What {@link verifyContainer} found. */
export interface VerifyResult {
  readonly container: string;
  readonly pid: number;
  readonly checks: readonly VerifyCheck[];
  /** The loaded filters' differences from the profile (empty when they decide alike). */
  readonly differences: readonly Difference[];
  /** The refused calls probed inside, with the profile's outcome and the real one. */
  readonly probes: readonly { call: string; expected: string; got: string }[];
}

/** Options of {@link verifyContainer}. */
export interface VerifyOptions {
  readonly profile: LoadedProfile;
  /** The profile's bytes (compared with what Docker recorded). */
  readonly text: string;
  /** The machine's architecture and the ABIs compared (the host's, from Docker's archMap). */
  readonly arch: ArchName;
  readonly abis: readonly ArchName[];
  readonly kernel: KernelVersion;
  readonly libseccomp: LibseccompVersion;
}

/**
 * Calls a deployed profile is expected to refuse, with arguments that make each one fail differently
 * when it is allowed (so a refusal by the filter is told from the kernel's own), in the order tried.
 */
const REFUSAL_CANDIDATES: readonly { call: string; args: readonly bigint[]; why: string }[] = [
  {
    call: 'mount',
    args: [1n, 1n, 1n, 0n, 0n],
    why: 'allowed, the bad source pointer gives EFAULT',
  },
  { call: 'umount2', args: [1n, 0n], why: 'allowed, the bad path pointer gives EFAULT' },
  { call: 'keyctl', args: [0xffffn], why: 'allowed, the unknown operation gives EOPNOTSUPP' },
  { call: 'bpf', args: [0xffffn, 0n, 0n], why: 'allowed, the unknown command gives EINVAL' },
  {
    call: 'ptrace',
    args: [0xffffn, 0n, 0n, 0n],
    why: 'allowed, the unknown request gives ESRCH/EIO',
  },
];

/** How many refused calls are probed at most. */
const MAX_PROBES = 4;

/** The value the filters return for `probe` on `arch` (newest filter first, as the kernel runs them). */
function emulate(filters: readonly (readonly Instruction[])[], p: Probe, arch: ArchName): number {
  const data = probeSeccompData(p, arch);
  return stackedReturn([...filters].reverse().map((f) => execute(f, data, 'little').ret));
}

/** Whether `recorded` (what Docker holds) is `profile`, written differently. */
function sameProfile(recorded: string, profile: LoadedProfile): boolean {
  try {
    return (
      writeProfile(parseProfile(recorded, 'docker inspect').profile) ===
      writeProfile(profile.profile)
    );
  } catch {
    return false;
  }
}

/** Run every check on a running Docker container. Throws `RuntimeError` when Docker or the prober cannot be used. */
export async function verifyContainer(ref: string, o: VerifyOptions): Promise<VerifyResult> {
  const checks: VerifyCheck[] = [];
  const sec = await inspectContainer(ref);
  if (!sec.running) throw new RuntimeError('docker', `container ${ref} is not running`);
  const status = await readSeccompStatus(sec.pid);
  checks.push({
    id: 'seccomp-mode',
    ok: status.mode === 'filter',
    detail: `/proc/${sec.pid}/status: Seccomp ${status.mode === 'filter' ? 2 : status.mode === 'strict' ? 1 : 0}${status.filters === undefined ? '' : `, ${status.filters} filter(s)`}`,
  });

  // What Docker recorded: `seccomp=<the profile's bytes>` in HostConfig.SecurityOpt.
  const opt = sec.securityOpt.find((s) => s.startsWith('seccomp=') || s.startsWith('seccomp:'));
  const recorded = opt?.slice('seccomp='.length);
  let docker: VerifyCheck;
  if (recorded === undefined)
    docker = {
      id: 'docker-profile',
      ok: false,
      detail: "started without --security-opt seccomp=: the daemon's default profile",
    };
  else if (recorded === 'unconfined')
    docker = { id: 'docker-profile', ok: false, detail: 'started with seccomp=unconfined' };
  else if (recorded === o.text)
    docker = {
      id: 'docker-profile',
      ok: true,
      detail: 'docker inspect holds the profile, byte for byte',
    };
  else {
    const same = sameProfile(recorded, o.profile);
    docker = same
      ? {
          id: 'docker-profile',
          ok: true,
          detail: 'docker inspect holds the same profile, written differently',
        }
      : { id: 'docker-profile', ok: false, detail: 'docker inspect holds another profile' };
  }
  checks.push(docker);

  // The filters really loaded against the profile compiled for this container's host.
  const caps = status.boundingCaps ?? [];
  const resolved = resolveProfile(o.profile.profile, { arch: o.arch, caps, kernel: o.kernel });
  if (resolved === null) throw new RuntimeError('docker', 'the profile turns seccomp off');
  const compiled = compileProfile(resolved, {
    arch: o.arch,
    libseccompVersion: o.libseccomp,
    stats: false,
  });
  const live = await containerSide(ref);
  const want = { label: o.profile.file, filters: [compiled.program], plan: compiled.plan };
  const diff = diffFilters(want, live, { abis: o.abis, maxRegions: 1 });
  checks.push({
    id: 'loaded-filters',
    ok: diff.differences.length === 0,
    detail:
      diff.differences.length === 0
        ? `the ${live.filters.length} loaded filter(s) decide as the profile does on ${o.abis.join(', ')} (${diff.compared} syscalls each; ${caps.length} bounding capabilities)`
        : `${diff.differences.length} difference(s), first: ${diff.differences[0]?.abi ?? ''} ${diff.differences[0]?.syscall ?? ''} ${diff.differences[0]?.old ?? ''} -> ${diff.differences[0]?.new ?? ''}`,
  });

  // Calls the profile refuses, made inside with the prober (copied in, removed after).
  const chosen = REFUSAL_CANDIDATES.flatMap((c) => {
    const nr = syscallNumber(o.arch, c.call);
    if (nr === undefined) return [];
    const probe: Probe = { nr, args: c.args };
    const expected = predictOutcome(emulate([compiled.program], probe, o.arch), {
      kind: 'exit',
      status: -1,
    });
    return expected.kind === 'exit' ? [] : [{ ...c, probe, expected }];
  }).slice(0, MAX_PROBES);
  const probes: { call: string; expected: string; got: string }[] = [];
  if (chosen.length === 0) {
    checks.push({
      id: 'refused-calls',
      ok: true,
      detail: `the profile refuses none of ${REFUSAL_CANDIDATES.map((c) => c.call).join(', ')}: nothing to probe`,
    });
  } else {
    const inside = `/tmp/.sysgate-verify-${randomBytes(4).toString('hex')}`;
    const cp = await execCollect('docker', ['cp', proberPath(), `${sec.id}:${inside}`], {
      runtime: 'docker',
    });
    if (cp.exitCode !== 0) {
      throw new RuntimeError(
        'docker',
        `cannot copy the prober into ${sec.name} (${cp.stderr.trim()}): the refused-calls check needs a writable /tmp`,
      );
    }
    let got: ProbeOutcome[];
    try {
      got = await driveProber(
        (args, input) =>
          execCollect('docker', ['exec', '-i', sec.id, inside, ...args], {
            runtime: 'docker',
            stdin: input,
            timeoutMs: 60_000,
          }),
        chosen.map((c) => c.probe),
        { runtime: 'docker exec' },
      );
    } finally {
      await execCollect('docker', ['exec', sec.id, inside, '--unlink-self'], { runtime: 'docker' });
    }
    chosen.forEach((c, i) => {
      const g = got[i];
      probes.push({
        call: c.call,
        expected: formatOutcome(c.expected),
        got: g === undefined ? 'none' : formatOutcome(g),
      });
    });
    const bad = chosen.filter((c, i) => {
      const g = got[i];
      return g === undefined || !sameOutcome(g, c.expected);
    });
    checks.push({
      id: 'refused-calls',
      ok: bad.length === 0,
      detail: probes
        .map((p) => `${p.call}: ${p.got}${p.got === p.expected ? '' : ` (profile: ${p.expected})`}`)
        .join('; '),
    });
  }
  return { container: sec.name, pid: sec.pid, checks, differences: diff.differences, probes };
}
