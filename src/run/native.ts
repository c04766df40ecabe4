/**
 * Where the static syscall prober lives. A checkout builds it from source with `make -C native` into
 * `native/build/` (`npm run build` and `npm test` do); the npm package ships it prebuilt for each
 * architecture it supports (`native/prebuilt/ARCH/`, made by `make -C native prebuilt` when the
 * package is packed). Where neither holds one (a checkout not built yet, a package on another
 * architecture, one whose prebuilt folder was removed), sysgate builds `native/prober.c` itself into
 * the user's cache (`$XDG_CACHE_HOME/sysgate`, else `~/.cache/sysgate`), keyed by the source's hash,
 * never into the package or the checkout (which may be read-only or another user's). Paths are
 * resolved from this module's location, two levels below the package root both in `src/run/` and in
 * `dist/run/`. Sandboxes bind the prober file that `proberPath` found, and only for probe runs: never
 * a directory, never one that does not exist (Docker would create it empty and root-owned).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The prober the package or the checkout holds for this host: built, else prebuilt; none without. */
function shippedProber(): string | undefined {
  const built = `${nativeRoot()}/build/prober`;
  if (existsSync(built)) return built;
  const arch = prebuiltArch();
  const prebuilt = arch === undefined ? undefined : `${nativeRoot()}/prebuilt/${arch}/prober`;
  return prebuilt !== undefined && existsSync(prebuilt) ? prebuilt : undefined;
}

/** sysgate's cache directory: `$XDG_CACHE_HOME/sysgate`, else `~/.cache/sysgate`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg?.startsWith('/') === true ? xdg : join(homedir(), '.cache'), 'sysgate');
}

/**
 * Where the prober built from `source` (the text of prober.c) lives in the cache: one directory per
 * architecture and source hash, so a changed prober.c is built afresh.
 */
export function cachedProberPath(source: string | Uint8Array, cache: string = cacheDir()): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return join(cache, `prober-${process.arch}-${hash}`, 'prober');
}

/**
 * Make `dir` (and its parents) and check that it and its parent are owned by this user and writable
 * by no one else, or refuse: sysgate runs what it builds there, inside sandboxes and as root.
 */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.();
  for (const d of [dir, dirname(dir)]) {
    const st = statSync(d);
    if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) {
      throw new RuntimeError(
        'prober',
        `will not build the syscall prober in ${dir}: ${d} is not a directory only this user can write`,
      );
    }
  }
}

/** The C compilers to try: `$CC` when set (its words: a command and its options), else cc, then gcc. */
function compilers(env: NodeJS.ProcessEnv): string[][] {
  const cc = env.CC?.trim();
  return cc !== undefined && cc !== '' ? [cc.split(/\s+/)] : [['cc'], ['gcc']];
}

/**
 * Build the static prober from `sourceFile` into `target` (atomically: a unique temporary file, then
 * a rename, so concurrent builds never leave a partial binary); throws a `RuntimeError` naming what
 * the compiler said when no compiler builds it.
 */
export function buildProber(
  sourceFile: string,
  target: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const dir = dirname(target);
  privateDir(dir);
  const tmp = join(dir, `.prober-${process.pid}-${randomBytes(4).toString('hex')}`);
  const tried: string[] = [];
  for (const [cc, ...flags] of compilers(env)) {
    if (cc === undefined) continue;
    const r = spawnSync(cc, [...flags, '-O2', '-static', '-o', tmp, sourceFile], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    if (r.error === undefined && r.status === 0 && existsSync(tmp)) {
      renameSync(tmp, target);
      return;
    }
    rmSync(tmp, { force: true });
    const said =
      r.error !== undefined
        ? (r.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'not installed'
          : r.error.message
        : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`);
    tried.push(`${[cc, ...flags].join(' ')}: ${said}`);
  }
  throw new RuntimeError(
    'prober',
    `the syscall prober is not built and building it failed (${tried.join('; ')}); install gcc, make and the static C library (libc6-dev on Debian), or build it with \`make -C ${nativeRoot()}\``,
  );
}

/**
 * Absolute path of the static syscall prober: the `override`, the checkout's or package's own, else
 * the one built from `native/prober.c` into the cache (built on first use); throws `RuntimeError`
 * (exit 3) when there is none and none can be built.
 */
export function proberPath(override?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (override !== undefined) {
    if (!existsSync(override)) throw new RuntimeError('prober', `no syscall prober at ${override}`);
    return override;
  }
  const shipped = shippedProber();
  if (shipped !== undefined) return shipped;
  const sourceFile = `${nativeRoot()}/prober.c`;
  if (!existsSync(sourceFile)) {
    throw new RuntimeError(
      'prober',
      `there is no syscall prober for ${process.arch} and no source to build one from (${sourceFile})`,
    );
  }
  const cached = cachedProberPath(readFileSync(sourceFile), cacheDir(env));
  if (!existsSync(cached)) buildProber(sourceFile, cached, env);
  return cached;
}

/**
 * Absolute path of the monitor's audit netlink reader (`native/auditnl.c`): the `override`, the
 * checkout's `native/build/auditnl`, or the package's prebuilt one; throws `RuntimeError` (exit 3)
 * naming how to build it when there is none.
 */
export function auditnlPath(override?: string): string {
  return helperPath(
    'auditnl',
    'the audit netlink reader',
    ', or use --source auditd, journald or kmsg',
    override,
  );
}

/**
 * Absolute path of `record --via seccomp`'s recorder (`native/notifrec.c`): the `override`, the
 * checkout's `native/build/notifrec`, or the package's prebuilt one; throws `RuntimeError` (exit 3)
 * naming how to build it when there is none.
 */
export function notifrecPath(override?: string): string {
  return helperPath('notifrec', 'the seccomp recorder', ', or record --via strace', override);
}

/** A helper of `native/`: the override, the checkout's build, else the package's prebuilt one. */
function helperPath(name: string, what: string, otherwise: string, override?: string): string {
  if (override !== undefined) {
    if (!existsSync(override)) throw new RuntimeError(name, `no ${name} at ${override}`);
    return override;
  }
  const built = `${nativeRoot()}/build/${name}`;
  if (existsSync(built)) return built;
  const arch = prebuiltArch();
  const prebuilt = arch === undefined ? undefined : `${nativeRoot()}/prebuilt/${arch}/${name}`;
  if (prebuilt !== undefined && existsSync(prebuilt)) return prebuilt;
  throw new RuntimeError(
    name,
    `${what} is not built (${built}); build it with \`make -C ${nativeRoot()}\` (needs gcc, make and the static C library: libc6-dev on Debian)${otherwise}`,
  );
}
