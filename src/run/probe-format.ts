/**
 * The prober's text protocol (see native/prober.c): one probe per input line, `NR A0..A5` in hex plus
 * an optional `abi=`; one outcome per output line, `ok RET`, `err ERRNO`, `trap DATA`, `sig SIGNO` or
 * `exit STATUS`.
 */
import { RuntimeError } from '../document/errors.js';

/** How a probe enters the kernel: the native ABI, x32 (bit 30 set on x86_64) or i386 (`int $0x80`). */
export type ProbeAbi = 'native' | 'x32' | 'i386';

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

/** Serialize probes to the prober's input. */
export function formatProbes(probes: readonly Probe[]): string {
  return probes
    .map((p) => {
      if (!Number.isInteger(p.nr)) throw new RangeError(`probe number ${p.nr} is not an integer`);
      if ((p.args?.length ?? 0) > 6) throw new RangeError('a probe has at most six arguments');
      const fields = [hex64(BigInt(p.nr)), ...(p.args ?? []).map(hex64)];
      if (p.abi !== undefined && p.abi !== 'native') fields.push(`abi=${p.abi}`);
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
