/**
 * The prober's text protocol (see native/prober.c): one probe per input line, `NR A0..A5` in hex plus
 * an optional `abi=`; one outcome per output line, `ok RET`, `err ERRNO`, `trap DATA`, `sig SIGNO` or
 * `exit STATUS`.
 */
import { archInfo, X32_SYSCALL_BIT } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { seccompArgs, type SeccompData } from '../bpf/seccomp.js';
import { RuntimeError, UsageError } from '../document/errors.js';

/** How a probe enters the kernel: the native ABI, x32 (bit 30 set on x86_64) or i386 (`int $0x80`). */
export type ProbeAbi = 'native' | 'x32' | 'i386';

/** The ABIs the prober can enter besides the native one, per host arch (see native/prober.c). */
const FOREIGN_ABIS: Partial<Record<ArchName, Partial<Record<ArchName, ProbeAbi>>>> = {
  x86_64: { x86: 'i386', x32: 'x32' },
};

/**
 * How the prober on a `host` machine enters the ABI of arch `abi` (`x86` on x86_64: `int $0x80`;
 * `x32`: bit 30); throws `UsageError` for an ABI it cannot enter there.
 */
export function probeAbiFor(host: ArchName, abi: ArchName): ProbeAbi {
  if (abi === host) return 'native';
  const foreign = FOREIGN_ABIS[host]?.[abi];
  if (foreign !== undefined) return foreign;
  const others = Object.keys(FOREIGN_ABIS[host] ?? {});
  throw new UsageError(
    `the prober cannot enter the ${abi} ABI on a ${host} host (${others.length > 0 ? `only ${[host, ...others].join(', ')}` : `only ${host}`})`,
    'bad-abi',
  );
}

/** The arch whose ABI a probe enters on a `host` machine. */
export function probeArch(host: ArchName, abi: ProbeAbi = 'native'): ArchName {
  if (abi === 'native') return host;
  const found = Object.entries(FOREIGN_ABIS[host] ?? {}).find(([, a]) => a === abi)?.[0];
  if (found === undefined)
    throw new UsageError(`the prober cannot enter the ${abi} ABI on a ${host} host`, 'bad-abi');
  return found as ArchName;
}

/**
 * The `seccomp_data` the kernel hands the filter for `probe` on a `host` machine (instruction pointer
 * 0): the entered ABI's audit token, bit 30 set for x32, arguments cut to 32 bits for i386 (the
 * prober passes them in 32-bit registers).
 */
export function probeSeccompData(probe: Probe, host: ArchName): SeccompData {
  const abi = probe.abi ?? 'native';
  const arch = archInfo(probeArch(host, abi));
  const args = (probe.args ?? []).map((a) =>
    abi === 'i386' ? BigInt.asUintN(32, a) : BigInt.asUintN(64, a),
  );
  const nr = abi === 'x32' ? (probe.nr | X32_SYSCALL_BIT) >>> 0 : probe.nr;
  return { nr, arch: arch.auditArch, instructionPointer: 0n, args: seccompArgs(args) };
}

/** One raw system call to issue. */
export interface Probe {
  /** Syscall number for the chosen ABI (x32: without or with bit 30, the prober sets it). */
  readonly nr: number;
  /** Up to six arguments, as u64 (negative values are taken modulo 2^64); missing ones are 0. */
  readonly args?: readonly bigint[];
  /** Entry ABI; `native` when absent. */
  readonly abi?: ProbeAbi;
}

/** What the kernel did with one probe. */
export type ProbeOutcome =
  /** The call returned a non-error value (or a filter's ERRNO(0) faked success). */
  | { readonly kind: 'ok'; readonly value: bigint }
  /** The call returned -errno. */
  | { readonly kind: 'errno'; readonly errno: number }
  /** SECCOMP_RET_TRAP: SIGSYS arrived with the action's data in si_errno. */
  | { readonly kind: 'trap'; readonly data: number }
  /** A signal killed the prober or its child (31 = SIGSYS for SECCOMP_RET_KILL_*). */
  | { readonly kind: 'signal'; readonly signal: number }
  /** The probe itself ended the process (exit or exit_group was allowed). */
  | { readonly kind: 'exit'; readonly status: number };

/** SIGSYS on Linux (x86, arm, riscv, s390, ppc; mips uses 12). */
export const SIGSYS = 31;

/** Hex without prefix of a value taken modulo 2^64. */
function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16);
}

/**
 * Serialize probes to the prober's input; `shared[i]` marks probe i `inline` (it may share a child
 * with its neighbours, see native/prober.c).
 */
export function formatProbes(probes: readonly Probe[], shared?: readonly boolean[]): string {
  return probes
    .map((p, i) => {
      if (!Number.isInteger(p.nr)) throw new RangeError(`probe number ${p.nr} is not an integer`);
      if ((p.args?.length ?? 0) > 6) throw new RangeError('a probe has at most six arguments');
      const fields = [hex64(BigInt(p.nr)), ...(p.args ?? []).map(hex64)];
      if (p.abi !== undefined && p.abi !== 'native') fields.push(`abi=${p.abi}`);
      if (shared?.[i] === true) fields.push('inline');
      return fields.join(' ') + '\n';
    })
    .join('');
}

/** Parse one output line; throws `RuntimeError` for anything else. */
export function parseOutcome(line: string): ProbeOutcome {
  const m = /^(ok|err|trap|sig|exit) (-?\d+)$/.exec(line.trim());
  if (!m)
    throw new RuntimeError('prober', `unexpected prober output line: ${JSON.stringify(line)}`);
  const [, kind, num] = m as unknown as [string, string, string];
  switch (kind) {
    case 'ok':
      return { kind: 'ok', value: BigInt(num) };
    case 'err':
      return { kind: 'errno', errno: Number(num) };
    case 'trap':
      return { kind: 'trap', data: Number(num) };
    case 'sig':
      return { kind: 'signal', signal: Number(num) };
    default:
      return { kind: 'exit', status: Number(num) };
  }
}

/** Parse every complete output line (a trailing partial line is ignored). */
export function parseOutcomes(stdout: string): ProbeOutcome[] {
  const lines = stdout.split('\n');
  lines.pop(); // text after the last newline is incomplete (or empty)
  return lines.filter((l) => l.trim() !== '').map(parseOutcome);
}

/** Short human form of an outcome: `ok 3`, `EPERM`-style errno numbers stay numeric (`errno 1`). */
export function formatOutcome(o: ProbeOutcome): string {
  switch (o.kind) {
    case 'ok':
      return `ok ${o.value}`;
    case 'errno':
      return `errno ${o.errno}`;
    case 'trap':
      return `trap ${o.data}`;
    case 'signal':
      return `signal ${o.signal}`;
    case 'exit':
      return `exit ${o.status}`;
    default: {
      const never: never = o;
      return never;
    }
  }
}

/** Whether two outcomes are the same. */
export function sameOutcome(a: ProbeOutcome, b: ProbeOutcome): boolean {
  return formatOutcome(a) === formatOutcome(b);
}
