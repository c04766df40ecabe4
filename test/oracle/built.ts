/**
 * The oracles built from released sources by scripts/build-oracles.mjs (libseccomp 2.6.0, runc
 * 1.3.6's and 1.4.3's libcontainer/seccomp, crun 1.21), found or built (cached) on first use. Under CI=true a failed build
 * is an error; elsewhere it is reported as undefined so the differential tests can say why they
 * cannot run.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What the build script prints for libseccomp. */
export interface BuiltLibseccomp {
  readonly version: string;
  readonly source: string;
  readonly sha256: string;
  /** Directory holding libseccomp.so.2 of the build. */
  readonly libDir: string;
  /** Directory holding the build's python binding (`import seccomp`). */
  readonly pythonPath: string;
  readonly buildSeconds: number;
}

/** What the build script prints for runc. */
export interface BuiltRunc {
  readonly version: string;
  readonly go: string;
  readonly inputs: readonly string[];
  /** The driver (scripts/oracles/runc/main.go) linked with runc's libcontainer/seccomp. */
  readonly binary: string;
  readonly buildSeconds: number;
}

/** What the build script prints for crun. */
export interface BuiltCrun {
  readonly version: string;
  readonly tarball: string;
  readonly sha256: string;
  /** The crun binary. */
  readonly binary: string;
  readonly buildSeconds: number;
}

/** The result of a build: the oracle, or why there is none. */
export type Built<T> =
  { readonly ok: true; readonly oracle: T } | { readonly ok: false; readonly why: string };

function build<T>(component: string): Built<T> {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-oracles.mjs'), component], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    const why = `scripts/build-oracles.mjs ${component} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`;
    if (process.env.CI === 'true') throw new Error(why);
    return { ok: false, why };
  }
  const out = JSON.parse(r.stdout) as Record<string, T | undefined>;
  const oracle = out[component];
  if (oracle === undefined) throw new Error(`build-oracles printed no ${component}`);
  return { ok: true, oracle };
}

/** The runc release lines the script builds. */
export type RuncLine = '1.3' | '1.4';

let libseccomp: Built<BuiltLibseccomp> | undefined;
const runc = new Map<RuncLine, Built<BuiltRunc>>();
let crun: Built<BuiltCrun> | undefined;

/** libseccomp 2.6.0 built from Debian's copy of the release tarball (cached). */
export function builtLibseccomp(): Built<BuiltLibseccomp> {
  libseccomp ??= build<BuiltLibseccomp>('libseccomp');
  return libseccomp;
}

/** The seccomp packages of runc 1.3.6 or 1.4.3 with the driver (cached). */
export function builtRunc(line: RuncLine): Built<BuiltRunc> {
  let b = runc.get(line);
  if (b === undefined) runc.set(line, (b = build<BuiltRunc>(`runc-${line}`)));
  return b;
}

/** crun 1.21 built from Debian's release source (cached). */
export function builtCrun(): Built<BuiltCrun> {
  crun ??= build<BuiltCrun>('crun');
  return crun;
}

/** The environment that makes a process load the built libseccomp (library and python binding). */
export function libseccompEnv(b: BuiltLibseccomp): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_LIBRARY_PATH: [b.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    PYTHONPATH: [b.pythonPath, process.env.PYTHONPATH].filter(Boolean).join(':'),
  };
}
