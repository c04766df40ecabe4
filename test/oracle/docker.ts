/**
 * Container oracles for tests: the seccomp filters a real container runtime loads for a profile,
 * read back from the running container with PTRACE_SECCOMP_GET_FILTER (the prober's `--dump`).
 * Needs root, the built prober, and Docker (dockerd answering) or runc/crun.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTAINER_LABEL,
  dockerSandboxArgs,
  ensureImage,
  removeContainer,
  startDocker,
  stuckInitOf,
  type DockerSeccomp,
} from '../../src/run/engines/docker.js';
import { execCollect } from '../../src/run/process.js';
import { RuntimeError } from '../../src/document/errors.js';
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

/** What Podman did with a profile: the filters its runc init loaded, or the error it refused with. */
export type PodmanLoad =
  | { readonly kind: 'loaded'; readonly filters: Uint8Array[] }
  | { readonly kind: 'refused'; readonly error: string };

/**
 * The filters Podman's runc loads for a profile file's text, read from the container's init process
 * after `podman init` (runc create: the filter is loaded, and init waits on its exec FIFO before
 * running anything of the workload, so a profile the workload could not start under is still
 * dumped). An init the filter half killed (KILL_THREAD) is ended after `timeoutMs`.
 */
export async function podmanLoadedFilters(text: string, timeoutMs = 30_000): Promise<PodmanLoad> {
  ensureProber();
  const image = await ensureImage(undefined, 'podman');
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-podman-'));
  const file = join(dir, 'seccomp.json');
  writeFileSync(file, text);
  const name = `sysgate-podman-${randomBytes(6).toString('hex')}`;
  try {
    const create = await execCollect(
      'podman',
      [
        'create',
        '--name',
        name,
        '--label',
        CONTAINER_LABEL,
        '--security-opt',
        `seccomp=${file}`,
        ...dockerSandboxArgs({ cli: 'podman' }),
        image,
        'sleep',
        'infinity',
      ],
      { runtime: 'podman', timeoutMs },
    );
    if (create.exitCode !== 0) return { kind: 'refused', error: create.stderr.trim() };
    const watchdog = setInterval(() => {
      void stuckInitOf(name, 'podman').then((pid) => {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      });
    }, 1000);
    let init;
    try {
      init = await execCollect('podman', ['init', name], { runtime: 'podman', timeoutMs });
    } finally {
      clearInterval(watchdog);
    }
    if (init.exitCode !== 0) return { kind: 'refused', error: init.stderr.trim() };
    const pid = Number(
      (
        await execCollect('podman', ['inspect', '--format', '{{.State.Pid}}', name], {
          runtime: 'podman',
        })
      ).stdout.trim(),
    );
    if (!(pid > 0)) return { kind: 'refused', error: `no init pid for ${name}` };
    try {
      return { kind: 'loaded', filters: await dumpFilters(pid) };
    } catch (e) {
      // runc create returned, then init failed a call of its own the filter refuses, and exited.
      if (!(e instanceof RuntimeError)) throw e;
      return { kind: 'refused', error: `runc init ended after loading the filter: ${e.message}` };
    }
  } finally {
    await removeContainer(name, 'podman');
    rmSync(dir, { recursive: true, force: true });
  }
}
