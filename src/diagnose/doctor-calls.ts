/**
 * What doctor reads from a traced run: every call with its real argument vector (the six registers
 * seccomp sees, as far as strace prints them as numbers), grouped into distinct vectors, and the calls
 * that failed without seccomp (a missing mount, device or capability), for naming what else broke.
 */
import type { ArchName } from '../arch/types.js';
import { syscallName, syscallNumber } from '../arch/syscalls.js';
import { resolveSymbol } from '../generate/symbols.js';
import { abiFor, ARG_SPECS, argTokenValue, hostAbis } from '../trace/observe.js';
import { callArgs, StraceParser, type StraceCall } from '../trace/strace.js';
import { forEachLine } from '../trace/lines.js';
import { namedArg, stripComments } from '../trace/tokenize.js';

/** The six syscall arguments as seccomp_data holds them. */
export type ArgVector = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/** One distinct (ABI, syscall, argument vector) seen in a traced run. */
export interface TracedCall {
  readonly abi: ArchName;
  readonly name: string;
  readonly nr: number;
  /** Argument registers; an argument strace printed as a string or structure is 0 (see `known`). */
  readonly args: ArgVector;
  /** Which of the six arguments were printed as numbers (the rest are pointers to data). */
  readonly known: readonly boolean[];
  /** Calls with exactly these arguments. */
  count: number;
  /** Process names that made them (at most 8). */
  readonly processes: string[];
  /** clone3's flags and exit signal, from the structure strace decodes (clone's first argument). */
  readonly cloneFlags?: bigint;
}

/** A call that failed in a run without seccomp: evidence for a cause that is not seccomp. */
export interface FailedCall {
  readonly name: string;
  /** errno name (`ENOENT`). */
  readonly errno: string;
  /** The path it was about, when it took one. */
  readonly path?: string;
  /** What the failure points at: `mount` (a path missing), `device` (/dev), `capability` (EPERM without seccomp), `permission` (EACCES, EROFS). */
  readonly kind: 'mount' | 'device' | 'capability' | 'permission' | 'other';
  /** How many calls failed this way. */
  count: number;
  /** Line of the last one (later is closer to the failure). */
  lastLine: number;
}

/** errnos that, without seccomp, point at the sandbox rather than at the program. */
const SANDBOX_ERRNOS = new Set(['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENODEV', 'ENXIO', 'ENOSYS']);

/** Syscalls whose ENOENT is a lookup the program expects to fail (PATH, module and locale searches). */
const PROBING = new Set([
  'access',
  'faccessat',
  'faccessat2',
  'readlink',
  'readlinkat',
  'execve',
  'execveat',
]);

function kindOf(errno: string, path: string | undefined): FailedCall['kind'] {
  if (path?.startsWith('/dev/') === true) return 'device';
  if (errno === 'EPERM') return 'capability';
  if (errno === 'EACCES' || errno === 'EROFS') return 'permission';
  if (errno === 'ENOENT' || errno === 'ENODEV' || errno === 'ENXIO') return 'mount';
  return 'other';
}

const MAX_PROCESSES = 8;
const MAX_VECTORS_PER_SYSCALL = 256;

/** The flags clone would get from a decoded clone3 structure (`{flags=0x..., exit_signal=17, ...}`). */
export function clone3Flags(token: string): bigint | undefined {
  const text = stripComments(token);
  const flags = /\bflags=([^,}]+)/.exec(text)?.[1];
  if (flags === undefined) return undefined;
  const value = argTokenValue(flags, resolveSymbol);
  if (value === undefined) return undefined;
  const signal = /\bexit_signal=([^,}]+)/.exec(text)?.[1];
  const sig = signal === undefined ? 0n : (argTokenValue(signal, resolveSymbol) ?? 0n);
  return value | (sig & 0xffn);
}

/** The argument vector of one strace call, with which arguments were numbers. */
export function callVector(call: StraceCall, name: string): { args: ArgVector; known: boolean[] } {
  const tokens = callArgs(call);
  const args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  const known = [false, false, false, false, false, false];
  const named = (ARG_SPECS[name] ?? []).filter((s) => s.named !== undefined);
  if (named.length > 0) {
    // strace prints these by name, not in register order (clone): only the named ones are placed.
    for (const t of tokens) {
      const n = namedArg(t);
      const spec = named.find((s) => s.named === n?.name);
      if (n === undefined || spec === undefined) continue;
      const v = argTokenValue(n.value, resolveSymbol);
      if (v !== undefined) {
        args[spec.index] = BigInt.asUintN(64, v);
        known[spec.index] = true;
      }
    }
  } else {
    tokens.slice(0, 6).forEach((t, i) => {
      const v = argTokenValue(t, resolveSymbol);
      if (v !== undefined) {
        args[i] = BigInt.asUintN(64, v);
        known[i] = true;
      }
    });
  }
  return { args: args as unknown as ArgVector, known };
}

/** Collects the distinct argument vectors and the sandbox-pointing failures of traced runs. */
export class TracedCalls {
  private readonly byKey = new Map<string, TracedCall>();
  private readonly perSyscall = new Map<string, number>();
  private readonly failures = new Map<string, FailedCall>();
  /** Calls seen. */
  calls = 0;

  constructor(readonly host: ArchName) {}

  /** Add one parsed call (`line` orders failures across runs: pass a running line number). */
  add(call: StraceCall, line: number): void {
    this.calls++;
    let abi = abiFor(this.host, call.personality);
    let name = call.name;
    let nr = call.nr;
    if (nr === undefined) nr = syscallNumber(abi, name);
    else if (name.startsWith('syscall_')) name = syscallName(abi, nr) ?? name;
    else if (syscallName(abi, nr) !== name) {
      const n = nr;
      abi = hostAbis(this.host).find((a) => syscallName(a, n) === name) ?? abi;
    }
    if (nr === undefined) return;
    const { args, known } = callVector(call, name);
    const cloneFlags =
      name === 'clone3' ? clone3Flags(callArgs(call)[0] ?? '') : (undefined as bigint | undefined);
    const key = `${abi}\u0000${nr}\u0000${args.join(',')}`;
    let e = this.byKey.get(key);
    if (e === undefined) {
      const sk = `${abi}\u0000${nr}`;
      const seen = this.perSyscall.get(sk) ?? 0;
      // Pointer arguments make every call distinct: keep a bounded number per syscall.
      if (seen >= MAX_VECTORS_PER_SYSCALL) return;
      this.perSyscall.set(sk, seen + 1);
      e = {
        abi,
        name,
        nr,
        args,
        known,
        count: 0,
        processes: [],
        ...(cloneFlags !== undefined && { cloneFlags }),
      };
      this.byKey.set(key, e);
    }
    e.count++;
    if (
      call.comm !== undefined &&
      e.processes.length < MAX_PROCESSES &&
      !e.processes.includes(call.comm)
    )
      e.processes.push(call.comm);
    if (call.errno !== undefined && SANDBOX_ERRNOS.has(call.errno)) this.failure(call, name, line);
  }

  private failure(call: StraceCall, name: string, line: number): void {
    const errno = call.errno ?? '';
    if (name === 'clone3' && errno === 'ENOSYS') return;
    const path = /"([^"]*)"/.exec(call.argsText)?.[1];
    if (errno === 'ENOENT' && (PROBING.has(name) || path === undefined)) return;
    const key = `${name}\u0000${errno}\u0000${path ?? ''}`;
    const f = this.failures.get(key);
    if (f !== undefined) {
      f.count++;
      f.lastLine = line;
      return;
    }
    this.failures.set(key, {
      name,
      errno,
      ...(path !== undefined && { path }),
      kind: kindOf(errno, path),
      count: 1,
      lastLine: line,
    });
  }

  /** Every distinct call, in first-seen order. */
  all(): TracedCall[] {
    return [...this.byKey.values()];
  }

  /** The failed calls, the ones closest to the end first, at most `max`. */
  failed(max = 8): FailedCall[] {
    return [...this.failures.values()].sort((a, b) => b.lastLine - a.lastLine).slice(0, max);
  }

  /** Feed one run's strace text through the parser. */
  addTrace(text: string): void {
    const parser = new StraceParser();
    const base = this.lines;
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const l of lines) this.pushLine(parser, base, l);
    this.finishRun(parser, base);
  }

  /** Feed one run's saved strace file through the parser (streamed, bounded memory). */
  async addTraceFile(path: string): Promise<void> {
    const parser = new StraceParser();
    const base = this.lines;
    await forEachLine(path, (l) => {
      this.pushLine(parser, base, l);
    });
    this.finishRun(parser, base);
  }

  private pushLine(parser: StraceParser, base: number, line: string): void {
    this.lines++;
    for (const e of parser.push(line)) if (e.kind === 'call') this.add(e, base + e.line);
  }

  private finishRun(parser: StraceParser, base: number): void {
    for (const e of parser.finish()) if (e.kind === 'call') this.add(e, base + e.line);
  }

  private lines = 0;
}
