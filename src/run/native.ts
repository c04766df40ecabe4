/**
 * Where the native helpers built by `make -C native` live. The path is resolved from this module's
 * location, which is two levels below the package root both in `src/run/` and in `dist/run/`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';

/** Directory holding the native build output (`native/build`). */
export function nativeBuildDir(): string {
  return fileURLToPath(new URL('../../native/build', import.meta.url));
}

/** Absolute path of the static syscall prober; throws `RuntimeError` when it has not been built. */
export function proberPath(override?: string): string {
  const p = override ?? `${nativeBuildDir()}/prober`;
  if (!existsSync(p)) {
    throw new RuntimeError(
      'prober',
      `the syscall prober is not built (${p}); run \`make -C native\` (needs gcc and libc6-dev)`,
    );
  }
  return p;
}
