/**
 * TypeScript side of the runc oracle: runc 1.3.6's libcontainer/seccomp (InitSeccomp, patchbpf)
 * built by scripts/build-oracles.mjs with the driver in scripts/oracles/runc, which answers the
 * program runc would load for an OCI seccomp config: the ENOSYS stub followed by libseccomp's
 * exported filter, in host byte order. One process serves a whole batch. The driver links the
 * system's libseccomp (2.5.4); `env` from built.ts `libseccompEnv` makes it load the built 2.6.0.
 */
import { spawnSync } from 'node:child_process';
import type { ModelProfile } from '../../src/compile/build.js';

/** The program runc would load, or its refusal. */
export type RuncAnswer =
  | { readonly program: Uint8Array; readonly flags: number }
  | { readonly error: string; readonly internal: boolean };

/**
 * The OCI `LinuxSeccomp` JSON of a profile, 64-bit values written as exact JSON numbers (the driver
 * decodes them into Go's uint64).
 */
export function runcRequest(p: ModelProfile): string {
  const big = (v: bigint): string => `\u0000${BigInt.asUintN(64, v).toString()}\u0000`;
  const text = JSON.stringify({
    profile: {
      defaultAction: p.defaultAction,
      ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
      architectures: p.architectures,
      syscalls: p.syscalls.map((r) => ({
        names: r.names,
        action: r.action,
        ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
        args: r.args.map((a) => ({
          index: a.index,
          value: big(a.value),
          valueTwo: big(a.valueTwo),
          op: a.op,
        })),
      })),
    },
  });
  // Unquote the marked numbers: "\u0000123\u0000" (JSON-escaped) -> 123.
  return text.replace(/"\\u0000(\d+)\\u0000"/g, '$1');
}

function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

function runDriver(binary: string, lines: readonly string[], env?: NodeJS.ProcessEnv): unknown[] {
  const r = spawnSync(binary, [], {
    env: env ?? process.env,
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`runc oracle failed (${r.status ?? r.signal}): ${r.stderr}`);
  const out = r.stdout.split('\n').filter((l) => l !== '');
  if (out.length !== lines.length)
    throw new Error(`runc oracle answered ${out.length} of ${lines.length}: ${r.stderr}`);
  return out.map((l) => JSON.parse(l) as unknown);
}

/** The programs runc builds for many profiles (one driver process). */
export function runcProgramBatch(
  binary: string,
  profiles: readonly ModelProfile[],
  env?: NodeJS.ProcessEnv,
): RuncAnswer[] {
  return runDriver(binary, profiles.map(runcRequest), env).map((a) => {
    const o = a as { bpf?: string; flags?: number; error?: string };
    if (typeof o.bpf === 'string') return { program: hexBytes(o.bpf), flags: o.flags ?? 0 };
    const error = o.error ?? 'no answer';
    return { error, internal: error.startsWith('oracle:') };
  });
}

/** The runc and libseccomp versions the driver runs with under `env`. */
export function runcOracleVersion(
  binary: string,
  env?: NodeJS.ProcessEnv,
): { runc: string; libseccomp: string } {
  const [a] = runDriver(binary, [JSON.stringify({ version: true })], env);
  return a as { runc: string; libseccomp: string };
}
