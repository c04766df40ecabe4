/**
 * The Docker-status table, computed from a moby profile's rules (by default the embedded default
 * profile): how each named syscall is treated, without the human reason (`../docker-data.ts` adds it).
 *
 * Per name, over the ALLOW rules in document order:
 * - a rule with `args` makes it `conditional-args`;
 * - else a rule with `includes.caps` adds those caps, one with `includes.arches` adds those arches,
 *   one with `includes.minKernel` sets the minimum kernel;
 * - else a rule with no `excludes` allows it unconditionally (`allowed`).
 * The status is the first that holds of `allowed`, `kernel-gated`, `conditional-args`,
 * `allowed-with-cap`, `arch-specific`, else `blocked`. An ERRNO rule with `errnoRet` for the name gives
 * the errno it is denied with (clone3: ENOSYS). A test resolves the profile with the real resolver and
 * checks each status against what it keeps (docs/semantics.md#moby-resolution).
 */
import type { DockerDefaultStatus } from '../types.js';
import { DOCKER_DEFAULT_PROFILE_JSON, type MobyProfileJson } from './default-profile.js';

/** A Docker status without its reason. */
export type DerivedDockerStatus = Omit<DockerDefaultStatus, 'reason'>;

interface Facts {
  uncond: boolean;
  args: boolean;
  readonly caps: string[];
  readonly arches: string[];
  minKernel?: string;
  errno?: number;
}

function pushNew(into: string[], items: readonly string[]): void {
  for (const i of items) if (!into.includes(i)) into.push(i);
}

/** Derive the status of every name a moby profile mentions, in first-mention order. */
export function deriveDockerStatuses(
  profile: MobyProfileJson,
): ReadonlyMap<string, DerivedDockerStatus> {
  const facts = new Map<string, Facts>();
  for (const rule of profile.syscalls) {
    for (const name of rule.names) {
      let f = facts.get(name);
      if (f === undefined) {
        f = { uncond: false, args: false, caps: [], arches: [] };
        facts.set(name, f);
      }
      if (rule.action !== 'SCMP_ACT_ALLOW') {
        if (rule.errnoRet !== undefined) f.errno = rule.errnoRet;
        continue;
      }
      const inc = rule.includes ?? {};
      if ((rule.args ?? []).length > 0) f.args = true;
      else if (inc.caps !== undefined) pushNew(f.caps, inc.caps);
      else if (inc.arches !== undefined) pushNew(f.arches, inc.arches);
      else if (inc.minKernel !== undefined) f.minKernel = inc.minKernel;
      else if (rule.excludes === undefined) f.uncond = true;
    }
  }
  const out = new Map<string, DerivedDockerStatus>();
  for (const [name, f] of facts) {
    const status: DockerDefaultStatus['status'] = f.uncond
      ? 'allowed'
      : f.minKernel !== undefined
        ? 'kernel-gated'
        : f.args
          ? 'conditional-args'
          : f.caps.length > 0
            ? 'allowed-with-cap'
            : f.arches.length > 0
              ? 'arch-specific'
              : 'blocked';
    out.set(name, {
      status,
      caps: Object.freeze(f.caps),
      arches: Object.freeze(f.arches),
      ...(f.minKernel !== undefined ? { minKernel: f.minKernel } : {}),
      ...(f.errno !== undefined ? { errnoWhenDenied: f.errno } : {}),
    });
  }
  return out;
}

/** The Docker status of every name of the embedded default profile. */
export const DOCKER_DEFAULT_DERIVED: ReadonlyMap<string, DerivedDockerStatus> =
  deriveDockerStatuses(DOCKER_DEFAULT_PROFILE_JSON);
