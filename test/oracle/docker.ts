/**
 * Container oracles for tests: the seccomp filters a real container runtime loads for a profile,
 * read back from the running container with PTRACE_SECCOMP_GET_FILTER (the prober's `--dump`).
 * Needs root, the built prober, and Docker (dockerd answering) or runc/crun.
 */
import { startDocker, type DockerSeccomp } from '../../src/run/engines/docker.js';
import { startOci, type OciRuntime } from '../../src/run/engines/oci.js';
import type { StartedContainer } from '../../src/run/engines/docker.js';
import { dumpFilters } from '../../src/diagnose/inspect.js';
import { ensureProber } from './kernel.js';

/** Dump the filters of a started container's first process, then stop the container. */
async function dumpAndStop(container: StartedContainer): Promise<Uint8Array[]> {
  try {
    return await dumpFilters(container.pid);
  } finally {
    await container.stop();
  }
}

/**
 * The filters (raw `struct sock_filter[]` bytes, newest first; normally exactly one) that Docker
 * loads for `profile` (a Docker/moby or OCI profile document, as given to `--security-opt seccomp=`).
 * Starts `sleep infinity` in sysgate's local image, dumps, and removes the container.
 */
export async function dockerLoadedFilters(
  profile: DockerSeccomp,
  options: { image?: string } = {},
): Promise<Uint8Array[]> {
  ensureProber();
  return dumpAndStop(
    await startDocker({
      argv: ['sleep', 'infinity'],
      seccomp: profile,
      ...(options.image !== undefined && { image: options.image }),
    }),
  );
}

/** The filters runc or crun loads for an OCI `linux.seccomp` object (same procedure as Docker's). */
export async function ociLoadedFilters(
  runtime: OciRuntime,
  seccomp: object,
): Promise<Uint8Array[]> {
  ensureProber();
  return dumpAndStop(await startOci({ runtime, argv: ['sleep', 'infinity'], seccomp }));
}
