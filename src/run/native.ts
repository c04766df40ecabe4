/**
 * Where the static syscall prober lives. A checkout builds it from source with `make -C native` into
 * `native/build/` (`npm run build` and `npm test` do); the npm package ships it prebuilt for each
 * architecture it supports (`native/prebuilt/ARCH/`, made by `make -C native prebuilt` when the
 * package is packed). Paths are resolved from this module's location, two levels below the package
 * root both in `src/run/` and in `dist/run/`. Sandboxes bind the prober file that `proberPath`
 * found, and only for probe runs: never a directory, never one that does not exist (Docker would
 * create it empty and root-owned in the checkout).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostArch, type ArchName } from '../arch/index.js';
import { RuntimeError, UsageError } from '../document/errors.js';

/** The package's `native/` directory. */
function nativeRoot(): string {
  return fileURLToPath(new URL('../../native', import.meta.url));
}

/** The arches `native/prebuilt/` holds (the Makefile's `PREBUILT_ARCHES`: GNU triples name them alike). */
const PREBUILT: readonly ArchName[] = ['x86_64', 'aarch64'];

/** The host's arch when the package ships a prober for it. */
function prebuiltArch(): ArchName | undefined {
  try {
    const arch = hostArch();
    return PREBUILT.includes(arch) ? arch : undefined;
  } catch (e) {
    if (e instanceof UsageError) return undefined; // an arch sysgate has no name for
    throw e;
  }
}

/**
 * Directory holding the host's prober: the checkout's `native/build` when it has been built, else
 * the packaged `native/prebuilt/ARCH`, else `native/build` (for which `proberPath` explains how to
 * build it).
 */
function nativeBuildDir(): string {
  const built = `${nativeRoot()}/build`;
  if (existsSync(`${built}/prober`)) return built;
  const arch = prebuiltArch();
  const prebuilt = arch === undefined ? undefined : `${nativeRoot()}/prebuilt/${arch}`;
  if (prebuilt !== undefined && existsSync(`${prebuilt}/prober`)) return prebuilt;
  return built;
}

/** Absolute path of the static syscall prober; throws `RuntimeError` (exit 3) when there is none. */
export function proberPath(override?: string): string {
  if (override !== undefined) {
    if (!existsSync(override)) throw new RuntimeError('prober', `no syscall prober at ${override}`);
    return override;
  }
  const p = `${nativeBuildDir()}/prober`;
  if (!existsSync(p)) {
    const packaged = existsSync(`${nativeRoot()}/prebuilt`);
    const why =
      packaged && prebuiltArch() === undefined
        ? `this package has no prebuilt syscall prober for ${process.arch} (only for ${PREBUILT.join(' and ')})`
        : `the syscall prober is not built (${p})`;
    throw new RuntimeError(
      'prober',
      `${why}; build it from source with \`make -C ${nativeRoot()}\` (needs gcc, make and the static C library: libc6-dev on Debian)`,
    );
  }
  return p;
}
