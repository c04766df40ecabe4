/**
 * TypeScript side of the libseccomp oracle (`libseccomp_oracle.py`, python3-seccomp): export the BPF
 * real libseccomp builds for a profile the way runc drives it. Batch-capable: one python process
 * serves any number of profiles. The answer is the libseccomp program only, without runc's stub.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArchName } from '../../src/arch/types.js';
import type { ModelProfile } from '../../src/compile/model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCRIPT = path.join(here, 'libseccomp_oracle.py');

/** Options of one export. */
export interface OracleOptions {
  /** runc's native arch (the oracle swaps it in for the machine's x86_64). */
  readonly native: ArchName;
  /** libseccomp optimize level. */
  readonly optimize?: 1 | 2;
}

/** libseccomp (or runc) refused the profile. */
export interface OracleRefusal {
  /** Message from the oracle. */
  readonly error: string;
  /** Index of the refused rule in `syscalls`, when known. */
  readonly rule: number | null;
  /** True when the oracle itself failed (a bug, never a refusal). */
  readonly internal?: boolean;
}

/** The python interpreter that has the `seccomp` module, or undefined. */
export function findOraclePython(): string | undefined {
  const candidates = [process.env.SYSGATE_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  for (const c of candidates) {
    if (c.startsWith('/') && !existsSync(c)) continue;
    const r = spawnSync(c, ['-c', 'import seccomp'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return undefined;
}

function request(p: ModelProfile, o: OracleOptions): string {
  return JSON.stringify({
    native: o.native,
    optimize: o.optimize ?? 1,
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
          op: a.op,
          value: a.value.toString(),
          valueTwo: a.valueTwo.toString(),
        })),
      })),
    },
  });
}

function runOracle(python: string, lines: readonly string[]): unknown[] {
  const r = spawnSync(python, [SCRIPT], {
    input: lines.join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`libseccomp oracle failed: ${r.stderr}`);
  const out = r.stdout.split('\n').filter((l) => l !== '');
  if (out.length !== lines.length)
    throw new Error(`oracle answered ${out.length} of ${lines.length}`);
  return out.map((l) => JSON.parse(l) as unknown);
}

function hexBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** Export many profiles through one python process; each result is BPF bytes or a refusal. */
export function libseccompExportBatch(
  items: readonly { profile: ModelProfile; opts: OracleOptions }[],
  python: string = findOraclePython() ?? '/usr/bin/python3',
): (Uint8Array | OracleRefusal)[] {
  const answers = runOracle(
    python,
    items.map((i) => request(i.profile, i.opts)),
  );
  return answers.map((a) => {
    const o = a as { bpf?: string } & OracleRefusal;
    if (typeof o.bpf === 'string') return hexBytes(o.bpf);
    return { error: o.error, rule: o.rule, ...(o.internal ? { internal: true } : {}) };
  });
}

/** Export one profile (see {@link libseccompExportBatch}). */
export function libseccompExport(
  profile: ModelProfile,
  opts: OracleOptions,
): Uint8Array | OracleRefusal {
  return libseccompExportBatch([{ profile, opts }])[0] as Uint8Array | OracleRefusal;
}

/** libseccomp's own number -> name tables, per `SCMP_ARCH_*` (for cross-checking the arch layer). */
export function libseccompTables(
  python: string = findOraclePython() ?? '/usr/bin/python3',
): Record<string, Record<string, number>> {
  const [a] = runOracle(python, [JSON.stringify({ dump: 'tables' })]);
  return (a as { tables: Record<string, Record<string, number>> }).tables;
}
