import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { toDocker, toOci, toSpo, type SpoApiVersion } from '../../profile/convert/index.js';
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
  to: string;
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

/** `sysgate convert IN --to FORMAT`: Docker JSON, OCI linux.seccomp, SPO SeccompProfile or a C program. */
export function register(program: Command): void {
  const cmd = program
    .command('convert')
    .description(
      'convert a profile to Docker JSON, OCI linux.seccomp, a Kubernetes SeccompProfile or a libseccomp C program',
    )
    .argument('<in>', "profile file ('-' for stdin), any supported format")
    .requiredOption('--to <format>', `output format: ${TARGETS.join(', ')}`)
    .option('-o, --output <file>', 'write to FILE (atomically) instead of stdout');
  addHostOptions(cmd, { scope: 'oci/c', libseccomp: false })
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
c       a complete C program that installs the same filter with libseccomp, as runc builds it,
        then runs its arguments: gcc -o sandbox out.c -lseccomp && ./sandbox /bin/ls

Examples:
  sysgate convert podman.json --to docker -o docker.json
  sysgate convert default.json --to oci --arch arm64 --caps none
  sysgate convert default.json --to spo --name docker-default > sp.yaml
  sysgate convert default.json --to c -o sandbox.c && gcc -o sandbox sandbox.c -lseccomp
  cat profile.json | sysgate convert - --to oci`,
    )
    .action((file: string, opts: ConvertOptions) => {
      const target = TARGETS.find((t) => t === opts.to);
      if (target === undefined)
        throw new UsageError(`--to must be one of ${TARGETS.join(', ')} (got '${opts.to}')`);
      const loaded = readProfile(file);
      writeOutput(opts.output ?? '-', convert(loaded, target, opts));
    });
}
