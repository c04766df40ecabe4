/**
 * The knowledge base's Docker-status table is computed from the embedded default profile
 * (kb/moby/status.ts). Here the same profile goes through the real resolver (moby's includes/excludes
 * rules) for several hosts, and every status is checked against the rules the resolver keeps.
 */
import { describe, expect, test } from 'vitest';
import type { ArchName } from '../arch/types.js';
import {
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_DEFAULT_DERIVED,
  DOCKER_DEFAULT_PROFILE_TEXT,
  dockerDefaultStatus,
  knownSyscallNames,
  type DerivedDockerStatus,
} from '../kb/index.js';
import { parseProfile } from './index.js';
import { kernelAtLeast, parseMinKernel, resolveProfile, type KernelVersion } from './resolve.js';

const profile = parseProfile(DOCKER_DEFAULT_PROFILE_TEXT, 'docker-default.json').profile;

/** What the resolved profile does with one name. */
interface Kept {
  readonly unconditional: boolean;
  readonly withArgs: boolean;
  readonly errno: readonly number[];
}

function keptFor(
  arch: ArchName,
  caps: readonly string[],
  kernel: KernelVersion,
): { native: string; kept: Map<string, Kept> } {
  const r = resolveProfile(profile, { arch, caps, kernel });
  if (r === null) throw new Error('seccomp unexpectedly off');
  const kept = new Map<string, Kept>();
  for (const rule of r.syscalls) {
    for (const n of rule.names) {
      const k = kept.get(n) ?? { unconditional: false, withArgs: false, errno: [] };
      kept.set(n, {
        unconditional:
          k.unconditional || (rule.action === 'SCMP_ACT_ALLOW' && rule.args.length === 0),
        withArgs: k.withArgs || (rule.action === 'SCMP_ACT_ALLOW' && rule.args.length > 0),
        errno:
          rule.action === 'SCMP_ACT_ERRNO' && rule.errnoRet !== undefined
            ? [...k.errno, rule.errnoRet]
            : k.errno,
      });
    }
  }
  return { native: r.host.native, kept };
}

/** Whether the status says the name is allowed unconditionally on this host. */
function expectUnconditional(
  d: DerivedDockerStatus,
  native: string,
  caps: readonly string[],
  kernel: KernelVersion,
): boolean {
  const capHit = d.caps.some((c) => caps.includes(c));
  switch (d.status) {
    case 'allowed':
      return true;
    case 'blocked':
      return false;
    case 'allowed-with-cap':
    case 'conditional-args':
      return capHit;
    case 'arch-specific':
      return d.arches.includes(native);
    case 'kernel-gated': {
      const min = parseMinKernel(d.minKernel ?? '');
      return capHit || (typeof min !== 'string' && kernelAtLeast(kernel, min));
    }
    default: {
      const never: never = d.status;
      return never;
    }
  }
}

const ARCHES: readonly ArchName[] = [
  'x86_64',
  'aarch64',
  'arm',
  's390x',
  'riscv64',
  'ppc64le',
  'x86',
];
const KERNELS: readonly KernelVersion[] = [
  { major: 6, minor: 1 },
  { major: 4, minor: 4 },
];
const CAP_SETS: readonly (readonly [string, readonly string[]])[] = [
  ['default caps', DOCKER_DEFAULT_CAPABILITIES],
  ['default caps + CAP_SYS_ADMIN', [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']],
  ['no caps', []],
];

describe('the derived Docker statuses match what the resolver keeps', () => {
  const cases = ARCHES.flatMap((arch) =>
    KERNELS.flatMap((kernel) =>
      CAP_SETS.map(
        ([label, caps]) =>
          [
            `${arch}, kernel ${kernel.major}.${kernel.minor}, ${label}`,
            arch,
            kernel,
            caps,
          ] as const,
      ),
    ),
  );

  test.each(cases)('%s', (_label, arch, kernel, caps) => {
    const { native, kept } = keptFor(arch, caps, kernel);
    const wrong: string[] = [];
    const names = new Set([...DOCKER_DEFAULT_DERIVED.keys(), ...knownSyscallNames()]);
    for (const name of names) {
      const d = dockerDefaultStatus(name);
      const k = kept.get(name) ?? { unconditional: false, withArgs: false, errno: [] };
      const want = expectUnconditional(d, native, caps, kernel);
      if (k.unconditional !== want)
        wrong.push(
          `${name}: ${d.status} says unconditional=${String(want)}, resolver ${String(k.unconditional)}`,
        );
      if (d.status === 'conditional-args' && !want && !k.withArgs)
        wrong.push(`${name}: conditional-args but the resolver keeps no argument rule`);
      if (d.status !== 'conditional-args' && k.withArgs)
        wrong.push(`${name}: ${d.status} but the resolver keeps an argument rule`);
      if (d.errnoWhenDenied !== undefined && !want && !k.errno.includes(d.errnoWhenDenied))
        wrong.push(
          `${name}: denied with ${String(d.errnoWhenDenied)} but the resolver keeps no such rule`,
        );
      if (d.errnoWhenDenied === undefined && k.errno.length > 0)
        wrong.push(`${name}: no errno in the table, the resolver keeps ERRNO(${k.errno.join()})`);
    }
    expect(wrong).toEqual([]);
  });

  test('the default caps unlock exactly chroot among the capability-gated names', () => {
    const { kept } = keptFor('x86_64', DOCKER_DEFAULT_CAPABILITIES, { major: 6, minor: 1 });
    const unlocked = [...DOCKER_DEFAULT_DERIVED]
      .filter(([n, d]) => d.status === 'allowed-with-cap' && kept.get(n)?.unconditional === true)
      .map(([n]) => n);
    expect(unlocked).toEqual(['chroot']);
  });
});
