import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { toDocker, toOci, toSpo, type SpoApiVersion } from '../../profile/convert/index.js';
import { auditTwin } from '../../generate/twin.js';
import { toC } from '../../runc/c.js';
import { resolvedToProfile, type ResolvedProfile } from '../../profile/resolve.js';
import type { LoadedProfile, Profile } from '../../profile/types.js';
import { err, writeOutput } from '../io.js';
import {
  addHostOptions,
  describeHost,
  hostFromOptions,
  readProfile,
  resolveLoaded,
  type HostOptions,
} from '../host.js';

/** The output formats of `convert`. */
const TARGETS = ['docker', 'oci', 'spo', 'c'] as const;
type Target = (typeof TARGETS)[number];

interface ConvertOptions extends HostOptions {
  to?: string;
  mode?: string;
  logRefusals?: boolean;
  output?: string;
  name?: string;
  apiVersion: string;
}

/** Whether moby's host-dependent features (archMap, includes/excludes) appear in the profile. */
function needsHost(p: Profile): boolean {
  return (
    (p.archMap?.length ?? 0) > 0 ||
    p.syscalls.some((r) => r.includes !== undefined || r.excludes !== undefined)
  );
}

/** A Kubernetes object name derived from the document name or the file name. */
function defaultName(loaded: LoadedProfile): string {
  const base =
    loaded.name ?? (loaded.file === '-' ? 'profile' : basename(loaded.file, extname(loaded.file)));
  const cleaned = base
    .toLowerCase()
    .replaceAll(/[^a-z0-9.-]+/g, '-')
    .replaceAll(/^[-.]+|[-.]+$/g, '');
  return cleaned === '' ? 'profile' : cleaned.slice(0, 253).replace(/[-.]+$/, '');
}

function mustResolve(loaded: LoadedProfile, opts: ConvertOptions): ResolvedProfile {
  const host = hostFromOptions(opts);
  const resolved = resolveLoaded(loaded, host);
  if (resolved === null) {
    throw new UsageError(
      'the profile turns seccomp off (no defaultAction, no syscalls): there is no filter to convert',
    );
  }
  return resolved;
}

function convert(loaded: LoadedProfile, target: Target, opts: ConvertOptions): string {
  switch (target) {
    case 'docker':
      return toDocker(loaded.profile);
    case 'oci':
      return toOci(mustResolve(loaded, opts));
    case 'c':
      return toC(mustResolve(loaded, opts), {
        source: loaded.file === '-' ? 'stdin' : basename(loaded.file),
      });
    case 'spo': {
      if (opts.apiVersion !== 'v1beta1' && opts.apiVersion !== 'v1') {
        throw new UsageError(`--api-version must be v1beta1 or v1 (got '${opts.apiVersion}')`);
      }
      const apiVersion: SpoApiVersion = opts.apiVersion;
      let profile = loaded.profile;
      if (needsHost(profile)) {
        const resolved = mustResolve(loaded, opts);
        err(
          `note: SeccompProfile has no archMap or includes/excludes; resolved for ${describeHost(resolved.host)}`,
        );
        profile = resolvedToProfile(resolved);
      }
      return toSpo(profile, opts.name ?? defaultName(loaded), apiVersion);
    }
    default: {
      const never: never = target;
      return never;
    }
  }
}

/** The audit twin of a loaded profile (resolved for the host first when moby features need it). */
function twinOf(loaded: LoadedProfile, opts: ConvertOptions): LoadedProfile {
  let profile = loaded.profile;
  if (profile.defaultAction === undefined)
    throw new UsageError('the profile turns seccomp off (no defaultAction): it has no audit twin');
  if (needsHost(profile)) {
    const resolved = mustResolve(loaded, opts);
    err(`note: archMap and includes/excludes resolved for ${describeHost(resolved.host)}`);
    profile = resolvedToProfile(resolved);
  }
  const twin = auditTwin(profile, { logRefusals: opts.logRefusals === true });
  for (const n of twin.notes) err(`note: ${n}`);
  return { ...loaded, profile: twin.profile };
}

/** `sysgate convert IN --to FORMAT`: Docker JSON, OCI linux.seccomp, SPO SeccompProfile or a C program. */
export function register(program: Command): void {
  const cmd = program
    .command('convert')
    .description(
      'convert a profile to Docker JSON, OCI linux.seccomp, a Kubernetes SeccompProfile or a libseccomp C program',
    )
    .argument('<in>', "profile file ('-' for stdin), any supported format")
    .option('--to <format>', `output format: ${TARGETS.join(', ')} (default docker with --mode)`)
    .option(
      '--mode <mode>',
      'audit: write the audit twin (default LOG, the critical syscalls still refused)',
    )
    .option(
      '--log-refusals',
      '--mode audit: add SECCOMP_FILTER_FLAG_LOG so ERRNO refusals are recorded too (runc >= 1.2 or crun; runc 1.1 refuses flags)',
    )
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout');
  addHostOptions(cmd, { scope: 'oci/c', libseccomp: false, stack: false })
    .option('--name <name>', 'spo: metadata.name (default: the document or file name)')
    .option('--api-version <v>', 'spo: v1beta1 or v1', 'v1beta1')
    .addHelpText(
      'after',
      `
docker  the model as canonical Docker JSON (same bytes as 'sysgate fmt'); nothing is resolved.
oci     the runtime-spec linux.seccomp object runc receives: includes/excludes and archMap
        resolved for --arch/--caps/--kernel exactly as the Docker daemon does.
spo     a security-profiles-operator SeccompProfile; profiles with archMap or includes/excludes
        are resolved first (the CRD has neither); what the CRD cannot hold is refused (exit 2).
--mode audit  the profile's audit twin (rollout Phase A, a LOG debug mode): what it refuses is
        logged and runs instead, except the critical syscalls, which stay refused. The kernel records
        LOG and KILL outcomes; with --log-refusals also the refusals (SECCOMP_FILTER_FLAG_LOG, which
        runc 1.1 rejects: "seccomp flags are not yet supported"). Profiles with archMap or
        includes/excludes are resolved for --arch/--caps/--kernel first. Notes go to stderr.
c       a complete C program that installs the same filter with libseccomp, as runc builds it,
        then runs its arguments: gcc -o sandbox out.c -lseccomp && ./sandbox /bin/ls

Examples:
  sysgate convert podman.json --to docker -o docker.json
  sysgate convert default.json --to oci --arch arm64 --caps none
  sysgate convert default.json --to spo --name docker-default > sp.yaml
  sysgate convert default.json --to c -o sandbox.c && gcc -o sandbox sandbox.c -lseccomp
  cat profile.json | sysgate convert - --to oci
  sysgate convert profile.json --mode audit -o profile-audit.json
  sysgate convert profile.json --mode audit --log-refusals -o profile-audit.json   # crun, runc >= 1.2`,
    )
    .action((file: string, opts: ConvertOptions) => {
      if (opts.to === undefined && opts.mode === undefined)
        throw new UsageError("required option '--to <format>' not specified");
      const to = opts.to ?? 'docker';
      const target = TARGETS.find((t) => t === to);
      if (target === undefined)
        throw new UsageError(`--to must be one of ${TARGETS.join(', ')} (got '${to}')`);
      if (opts.mode !== undefined && opts.mode !== 'audit')
        throw new UsageError(`--mode must be audit (got '${opts.mode}')`);
      let loaded = readProfile(file);
      if (opts.mode === 'audit') loaded = twinOf(loaded, opts);
      writeOutput(opts.output ?? '-', convert(loaded, target, opts));
    });
}
