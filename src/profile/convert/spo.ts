/**
 * Kubernetes security-profiles-operator `SeccompProfile` output (CRD group
 * `security-profiles-operator.x-k8s.io`, versions v1beta1 and v1 share one schema). The schema
 * (deploy/base-crds/crds/seccompprofile.yaml) has no `archMap`, `includes`/`excludes` or
 * `defaultErrnoRet`, limits arches and flags to enums, `listenerPath` to a pattern and values to
 * int64; anything it cannot hold is refused rather than silently pruned by the API server.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { ProfileError, type ProfileIssue, type ProfileIssueCode } from '../errors.js';
import { UsageError } from '../../document/errors.js';
import type { Profile } from '../types.js';

/** The API versions we write. */
export type SpoApiVersion = 'v1beta1' | 'v1';

/** The `SCMP_ARCH_*` values the CRD's `architectures` enum allows (no LOONGARCH64). */
export const SPO_ARCHES: readonly string[] = [
  'SCMP_ARCH_NATIVE',
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
];

/** The `flags` the CRD's enum allows. */
export const SPO_FLAGS: readonly string[] = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
];

const LISTENER_PATH_RE = /^\/var\/run\/security-profiles-operator\/[\w.-]+$/;
/** A Kubernetes object name (RFC 1123 subdomain). */
export const K8S_NAME_RE =
  /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const INT64_MAX = (1n << 63n) - 1n;
const INT32_MAX = 2 ** 31 - 1;

/** Everything in `profile` the CRD cannot express. */
export function spoIssues(profile: Profile): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const bad = (code: ProfileIssueCode, message: string, pointer: string): void => {
    issues.push({ code, severity: 'error', message, pointer });
  };
  if (profile.defaultAction === undefined) {
    bad('spo-unsupported', 'a SeccompProfile requires defaultAction', '/defaultAction');
  }
  if (profile.defaultErrnoRet !== undefined && profile.defaultErrnoRet !== 1) {
    bad(
      'spo-unsupported',
      `the SeccompProfile schema has no defaultErrnoRet; the API server would prune ${profile.defaultErrnoRet} and the default would return EPERM`,
      '/defaultErrnoRet',
    );
  }
  if (profile.archMap !== undefined && profile.archMap.length > 0) {
    bad(
      'spo-unsupported',
      'the SeccompProfile schema has no archMap; resolve the profile for a host first',
      '/archMap',
    );
  }
  profile.architectures.forEach((a, i) => {
    if (!SPO_ARCHES.includes(a))
      bad(
        'spo-unsupported',
        `architecture ${a} is not in the SeccompProfile enum`,
        `/architectures/${i}`,
      );
  });
  profile.flags?.forEach((f, i) => {
    if (!SPO_FLAGS.includes(f))
      bad('spo-unsupported', `flag ${f} is not in the SeccompProfile enum`, `/flags/${i}`);
  });
  if (
    profile.listenerPath !== undefined &&
    profile.listenerPath !== '' &&
    !LISTENER_PATH_RE.test(profile.listenerPath)
  ) {
    bad(
      'spo-unsupported',
      'listenerPath must match ^/var/run/security-profiles-operator/[a-zA-Z0-9_\\-\\.]+$',
      '/listenerPath',
    );
  }
  for (const r of profile.syscalls) {
    if (r.includes !== undefined || r.excludes !== undefined) {
      bad(
        'spo-unsupported',
        'the SeccompProfile schema has no includes/excludes; resolve the profile for a host first',
        `${r.pointer}/${r.includes !== undefined ? 'includes' : 'excludes'}`,
      );
    }
    if (r.errnoRet !== undefined && r.errnoRet > INT32_MAX) {
      bad(
        'spo-unsupported',
        `errnoRet ${r.errnoRet} does not fit the schema's int32`,
        `${r.pointer}/errnoRet`,
      );
    }
    if (r.args.length > 6)
      bad('spo-unsupported', 'the schema allows at most 6 args per rule', `${r.pointer}/args`);
    r.args.forEach((a, i) => {
      for (const key of ['value', 'valueTwo'] as const) {
        if (a[key] > INT64_MAX) {
          bad(
            'spo-unsupported',
            `${key} ${a[key]} does not fit the schema's int64`,
            `${r.pointer}/args/${i}/${key}`,
          );
        }
      }
    });
  }
  return issues;
}

/**
 * Serialize `profile` as a `SeccompProfile` custom resource named `name` (YAML, deterministic).
 * Rules without names are left out (the schema requires at least one and they match nothing);
 * rule comments become YAML comments. Throws `ProfileError` listing everything the CRD cannot hold.
 */
export function toSpo(
  profile: Profile,
  name: string,
  apiVersion: SpoApiVersion = 'v1beta1',
): string {
  if (name.length > 253 || !K8S_NAME_RE.test(name)) {
    throw new UsageError(
      `'${name}' is not a valid Kubernetes object name (lower-case RFC 1123 subdomain)`,
    );
  }
  const [first, ...rest] = spoIssues(profile);
  if (first !== undefined) throw new ProfileError([first, ...rest]);

  const rules = profile.syscalls.filter((r) => r.names.length > 0);
  const spec = {
    defaultAction: profile.defaultAction,
    ...(profile.architectures.length > 0 ? { architectures: profile.architectures } : {}),
    ...(profile.flags !== undefined ? { flags: profile.flags } : {}),
    ...(profile.listenerPath !== undefined && profile.listenerPath !== ''
      ? { listenerPath: profile.listenerPath }
      : {}),
    ...(profile.listenerMetadata !== undefined && profile.listenerMetadata !== ''
      ? { listenerMetadata: profile.listenerMetadata }
      : {}),
    ...(rules.length > 0
      ? {
          syscalls: rules.map((r) => ({
            names: r.names,
            action: r.action,
            ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
            ...(r.args.length > 0
              ? {
                  args: r.args.map((a) => ({
                    index: a.index,
                    value: a.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a.value) : a.value,
                    ...(a.valueTwo !== 0n
                      ? {
                          valueTwo:
                            a.valueTwo <= BigInt(Number.MAX_SAFE_INTEGER)
                              ? Number(a.valueTwo)
                              : a.valueTwo,
                        }
                      : {}),
                    op: a.op,
                  })),
                }
              : {}),
          })),
        }
      : {}),
  };
  const doc = new Document({
    apiVersion: `security-profiles-operator.x-k8s.io/${apiVersion}`,
    kind: 'SeccompProfile',
    metadata: { name },
    spec,
  });
  // Carry each rule's comment over as a YAML comment above its entry.
  const seq = (doc.get('spec') as YAMLMap | undefined)?.get('syscalls', true);
  if (isSeq(seq)) {
    seq.items.forEach((item, i) => {
      const comment = rules[i]?.comment;
      if (comment !== undefined && comment !== '' && isMap(item)) {
        item.commentBefore = comment
          .split('\n')
          .map((l) => ` ${l}`)
          .join('\n');
      }
    });
  }
  return doc.toString({ lineWidth: 0 });
}
