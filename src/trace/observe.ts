/**
 * Aggregates parsed strace calls and audit records into an `Observation`: per ABI and syscall, how
 * often it ran, its errno outcomes, where it was first seen, which processes made it, and the values of
 * the arguments a seccomp rule can usefully constrain (socket family, clone flags, ioctl request...).
 * The observation is the evidence behind every generated rule.
 */
import type { ArchName } from '../arch/index.js';
import { archForAudit, resolveArch, syscallName, syscallNumber } from '../arch/index.js';
import { auditCodeKey, type AuditRecord } from './audit.js';
import type { NotifiedCall } from './notify.js';
import { callArgs, type Personality, type StraceCallFields } from './strace.js';
import { argAt, namedArg, stripComments } from './tokenize.js';

/** An argument worth recording: its seccomp index and what it means. */
export interface ArgSpec {
  /** Argument index as seccomp sees it. */
  readonly index: number;
  /** Label, e.g. `family`. */
  readonly label: string;
  /** strace's named argument (`flags=` for clone), when strace prints it by name. */
  readonly named?: string;
  /** Position in strace's printed list, when different from `index`. */
  readonly printed?: number;
}

/** The arguments recorded per syscall (x86_64 / generic kernel argument order). */
export const ARG_SPECS: Readonly<Record<string, readonly ArgSpec[]>> = {
  socket: [
    { index: 0, label: 'family' },
    { index: 1, label: 'type' },
    { index: 2, label: 'protocol' },
  ],
  socketpair: [
    { index: 0, label: 'family' },
    { index: 1, label: 'type' },
  ],
  clone: [{ index: 0, label: 'flags', named: 'flags' }],
  unshare: [{ index: 0, label: 'flags' }],
  setns: [{ index: 1, label: 'nstype' }],
  personality: [{ index: 0, label: 'persona' }],
  prctl: [{ index: 0, label: 'option' }],
  ioctl: [{ index: 1, label: 'request' }],
  mmap: [{ index: 2, label: 'prot' }],
  mprotect: [{ index: 2, label: 'prot' }],
  pkey_mprotect: [{ index: 2, label: 'prot' }],
  kill: [{ index: 1, label: 'signal' }],
  tkill: [{ index: 1, label: 'signal' }],
  tgkill: [{ index: 2, label: 'signal' }],
};

/** One value seen for an argument. */
export interface ArgValueSeen {
  /** The numeric value when it could be computed (decimal string of the u64). */
  readonly value?: string;
  /** The text strace printed (comments removed). */
  readonly text: string;
  /** How many calls passed it. */
  count: number;
}

/** Everything observed about one syscall on one ABI. */
export interface ObservedSyscall {
  /** Syscall name in that ABI's table. */
  readonly name: string;
  /** ABI. */
  readonly abi: ArchName;
  /** Number on that ABI, when known. */
  readonly nr?: number;
  /** Calls seen (strace) or records seen (audit). */
  count: number;
  /** errno outcomes: name -> count. */
  readonly errors: Record<string, number>;
  /** First sighting. */
  readonly firstSeen: { readonly source: string; readonly line: number; readonly time?: string };
  /** Process names that made the call: comm, or the name the kernel derives from the executable (at most 16 kept). */
  readonly processes: string[];
  /** Executables (execve paths, inherited across fork) that made the call (at most 16 kept). */
  readonly executables: string[];
  /** Values seen per recorded argument label. */
  readonly args: Record<string, { readonly index: number; readonly values: ArgValueSeen[] }>;
  /** Seccomp actions the kernel logged for it (audit input): action code -> count. */
  readonly logged: Record<string, number>;
}

/** Resolves a symbolic constant (`AF_UNIX`, `CLONE_NEWNS`) to its value. */
export type SymbolResolver = (symbol: string) => bigint | undefined;

const NUMERIC_RE = /^(?:0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i;

/**
 * Compute the numeric value of a strace argument token, if possible: `0x10 /* AF_NETLINK *\/`,
 * `AF_UNIX`, `SOCK_STREAM|SOCK_CLOEXEC`, `0x24000000|17`, `~...` is not handled.
 */
export function argTokenValue(token: string, resolve?: SymbolResolver): bigint | undefined {
  const text = stripComments(token).replace(/\s+/g, '');
  if (text === '' || text === 'NULL') return text === 'NULL' ? 0n : undefined;
  let acc = 0n;
  for (const part of text.split('|')) {
    if (NUMERIC_RE.test(part)) {
      acc |=
        part.length > 1 && part.startsWith('0') && !/^0x/i.test(part)
          ? BigInt('0o' + part.slice(1))
          : BigInt(part);
    } else if (/^-\d+$/.test(part)) {
      acc |= BigInt.asUintN(64, BigInt(part));
    } else if (/^[A-Z_][A-Z0-9_]*$/.test(part) && resolve) {
      const v = resolve(part);
      if (v === undefined) return undefined;
      acc |= v;
    } else {
      return undefined;
    }
  }
  return acc;
}

/** Map a strace personality to the ABI it denotes on a host. */
export function abiFor(host: ArchName, personality: Personality): ArchName {
  if (personality === '64') return host;
  if (host === 'x86_64') return personality === '32' ? 'x86' : 'x32';
  if (host === 'aarch64') return 'arm';
  if (host === 's390x') return 's390';
  if (host === 'ppc64' || host === 'ppc64le') return 'ppc';
  return host;
}

/** The native ABI of a host and the compat ABIs its kernel also runs. */
export function hostAbis(host: ArchName): ArchName[] {
  const personalities: Personality[] = ['64', '32', 'x32'];
  return [...new Set(personalities.map((p) => abiFor(host, p)))];
}

/**
 * A flat copy of a string. Strings cut from a line share the line's memory in V8 (and the line shares
 * the 1 MiB read chunk), so anything kept beyond the line is copied, or memory grows with the input.
 */
function own(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

const MAX_PROCESSES = 16;

/**
 * The process name (comm) the kernel gives a program it executes: the base name of the path passed
 * to execve, cut to TASK_COMM_LEN - 1 = 15 bytes (fs/exec.c, __set_task_comm(kbasename(filename))).
 * Used when the trace printed no comm (strace without -Y, an audit record without comm=).
 */
export function commOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1) || path;
  const bytes = Buffer.from(base, 'utf8');
  return bytes.length <= 15 ? base : bytes.subarray(0, 15).toString('utf8');
}
const FORK_LIKE = new Set(['clone', 'clone3', 'fork', 'vfork']);
const MAX_VALUES = 64;
/** Argument tokens whose text and value are remembered (the same few repeat: `PROT_READ`, `0x3`). */
const MAX_TOKEN_CACHE = 8192;

/** The executable a thread runs and the process name the kernel gives it. */
interface Exe {
  readonly path: string;
  readonly comm: string;
}

/** What a (personality, printed name, number) resolves to, worked out once. */
interface Resolved {
  readonly abi: ArchName;
  readonly name: string;
  readonly nr: number | undefined;
  /** Unknown to every table: not recorded. */
  readonly skip: boolean;
  readonly specs: readonly ArgSpec[];
  readonly forkLike: boolean;
  readonly execve: boolean;
  /** The entry, once one call made it. */
  entry: ObservedSyscall | undefined;
}

const PERSONALITIES: readonly Personality[] = ['64', '32', 'x32'];

/** The ABI of an `ausearch -i` arch name (`x86_64`, `i386`, `aarch64`...), or undefined. */
export function archFromAusearch(name: string): ArchName | undefined {
  try {
    return resolveArch(name).name;
  } catch {
    return undefined;
  }
}

/** The kernel's largest pid_max (PID_MAX_LIMIT on 64-bit, include/linux/threads.h): 2^22. */
const PID_MAX_LIMIT = 1 << 22;

/**
 * A set of thread ids in bounded memory: one bit per id up to PID_MAX_LIMIT (512 KiB, allocated on
 * first use), a Set only for ids no kernel hands out (a crafted log).
 */
export class TidSet {
  private bits: Uint8Array | undefined;
  private readonly other = new Set<number>();
  private count = 0;

  /** Add `tid`. */
  add(tid: number): void {
    if (Number.isInteger(tid) && tid >= 0 && tid < PID_MAX_LIMIT) {
      this.bits ??= new Uint8Array(PID_MAX_LIMIT >> 3);
      const i = tid >> 3;
      const m = 1 << (tid & 7);
      const v = this.bits[i] ?? 0;
      if ((v & m) === 0) {
        this.bits[i] = v | m;
        this.count++;
      }
    } else this.other.add(tid);
  }

  /** Distinct ids added. */
  get size(): number {
    return this.count + this.other.size;
  }
}

/** Accumulates calls and audit records from any number of sources. */
export class Observation {
  private readonly map = new Map<string, ObservedSyscall>();
  /** Calls seen in total. */
  totalCalls = 0;
  /** Distinct thread ids seen. */
  readonly tids = new TidSet();
  private readonly exeByTid = new Map<number, Exe>();
  private readonly resolved: Map<string, Map<number, Resolved>>[] = PERSONALITIES.map(
    () => new Map<string, Map<number, Resolved>>(),
  );
  private readonly tokens = new Map<string, { readonly text: string; readonly value?: string }>();

  /**
   * @param host the traced machine's native ABI
   * @param resolve symbol resolver for abbreviated strace output
   */
  constructor(
    readonly host: ArchName,
    private readonly resolve?: SymbolResolver,
  ) {}

  private entry(
    abi: ArchName,
    name: string,
    nr: number | undefined,
    source: string,
    line: number,
    time?: string,
  ): ObservedSyscall {
    const key = `${abi}\u0000${name}`;
    let e = this.map.get(key);
    if (!e) {
      const first = time === undefined ? { source, line } : { source, line, time: own(time) };
      const fresh: ObservedSyscall = {
        name,
        abi,
        count: 0,
        errors: {},
        firstSeen: first,
        processes: [],
        executables: [],
        args: {},
        logged: {},
      };
      e = nr === undefined ? fresh : { ...fresh, nr };
      this.map.set(key, e);
    }
    return e;
  }

  /** The ABI, name and number a call is recorded under (cached per personality, name, number). */
  private resolveCall(personality: Personality, printed: string, callNr?: number): Resolved {
    const byName =
      this.resolved[PERSONALITIES.indexOf(personality)] ?? new Map<string, Map<number, Resolved>>();
    let byNr = byName.get(printed);
    if (byNr === undefined) {
      byNr = new Map<number, Resolved>();
      byName.set(printed, byNr);
    }
    const key = callNr ?? -1;
    let r = byNr.get(key);
    if (r !== undefined) return r;
    let abi = abiFor(this.host, personality);
    let name = printed;
    let nr = callNr;
    if (nr === undefined) {
      nr = syscallNumber(abi, name);
    } else if (name.startsWith('syscall_')) {
      // Unknown to strace: name it from the ABI's own table.
      name = syscallName(abi, nr) ?? name;
    } else if (syscallName(abi, nr) !== name) {
      // Under -o, strace hides personality switches; its printed name says which table it used.
      const n = nr;
      abi = hostAbis(this.host).find((a) => syscallName(a, n) === name) ?? abi;
    }
    r = {
      abi,
      name,
      nr,
      skip: name.startsWith('syscall_') && nr === undefined,
      specs: ARG_SPECS[name] ?? [],
      forkLike: FORK_LIKE.has(name),
      execve: name === 'execve',
      entry: undefined,
    };
    byNr.set(key, r);
    return r;
  }

  /** Add one strace call from `source` (`call` is read now and not kept). */
  addCall(call: StraceCallFields, source: string): void {
    this.totalCalls++;
    const tid = call.tid;
    this.tids.add(tid);
    const r = this.resolveCall(call.personality, call.name, call.nr);
    if (r.skip) return;
    if (r.execve && call.ret === 0n) {
      const path = /^"([^"]*)"/.exec(call.argsText)?.[1];
      if (path !== undefined) {
        const p = own(path);
        this.exeByTid.set(tid, { path: p, comm: commOf(p) });
      }
    }
    const exe = this.exeByTid.get(tid);
    if (r.forkLike && exe !== undefined) {
      const ret = call.ret;
      // A child runs its parent's executable until it calls execve.
      if (ret !== undefined && ret > 0n) this.exeByTid.set(Number(ret), exe);
    }
    let e = r.entry;
    if (e === undefined) {
      e = this.entry(r.abi, r.name, r.nr, source, call.line, call.time);
      r.entry = e;
    }
    e.count++;
    const errno = call.errno;
    if (errno !== undefined) e.errors[errno] = (e.errors[errno] ?? 0) + 1;
    const who = call.comm ?? exe?.comm;
    if (who !== undefined && e.processes.length < MAX_PROCESSES && !e.processes.includes(who))
      e.processes.push(own(who));
    if (
      exe !== undefined &&
      e.executables.length < MAX_PROCESSES &&
      !e.executables.includes(exe.path)
    )
      e.executables.push(exe.path);
    const specs = r.specs;
    if (specs.length === 0) return;
    const first = specs[0];
    if (specs.length === 1 && first !== undefined && first.named === undefined) {
      // One positional argument: find it without splitting the others.
      this.recordToken(e, first, argAt(call.argsText, first.printed ?? first.index));
      return;
    }
    const args = callArgs(call);
    for (const spec of specs) {
      let token: string | undefined;
      if (spec.named !== undefined) {
        for (const a of args) {
          const n = namedArg(a);
          if (n?.name === spec.named) token = n.value;
        }
      } else {
        token = args[spec.printed ?? spec.index];
      }
      this.recordToken(e, spec, token);
    }
  }

  private recordToken(e: ObservedSyscall, spec: ArgSpec, token: string | undefined): void {
    if (token === undefined) return;
    let t = this.tokens.get(token);
    if (t === undefined) {
      const value = argTokenValue(token, this.resolve);
      const text = own(stripComments(token));
      t = value === undefined ? { text } : { text, value: value.toString() };
      if (this.tokens.size < MAX_TOKEN_CACHE) this.tokens.set(own(token), t);
    }
    this.countValue(e, spec, t.value, t.text);
  }

  /** Count one value of a recorded argument (by its number, else by its printed text). */
  private countValue(
    e: ObservedSyscall,
    spec: ArgSpec,
    valueText: string | undefined,
    text: string,
  ): void {
    const slot = (e.args[spec.label] ??= { index: spec.index, values: [] });
    const found = slot.values.find((v) =>
      valueText !== undefined ? v.value === valueText : v.text === text,
    );
    if (found) found.count++;
    else if (slot.values.length < MAX_VALUES)
      slot.values.push(
        valueText === undefined
          ? { text: own(text), count: 1 }
          : { value: valueText, text: own(text), count: 1 },
      );
  }

  /**
   * Add one call reported by a seccomp user notification (`record --via seccomp`): the ABI from
   * seccomp_data.arch and the number, argument values straight from the registers (no strings, no
   * return value, so no errno outcome), the process from the recorder's comm and `/proc/TID/exe`.
   */
  addNotified(call: NotifiedCall, source: string): void {
    const abi = archForAudit(call.arch, call.nr)?.name;
    if (abi === undefined) return;
    this.totalCalls++;
    this.tids.add(call.tid);
    const name = syscallName(abi, call.nr) ?? `syscall_${call.nr}`;
    const e = this.entry(abi, name, call.nr, source, call.seq);
    e.count++;
    const who = call.comm ?? (call.exe === undefined ? undefined : commOf(call.exe));
    if (who !== undefined && e.processes.length < MAX_PROCESSES && !e.processes.includes(who))
      e.processes.push(who);
    const exe = call.exe;
    if (exe !== undefined && e.executables.length < MAX_PROCESSES && !e.executables.includes(exe))
      e.executables.push(exe);
    for (const spec of ARG_SPECS[name] ?? []) {
      const v = call.args[spec.index];
      if (v === undefined) continue;
      this.countValue(e, spec, v.toString(), v === 0n ? '0' : `0x${v.toString(16)}`);
    }
  }

  /** Add one kernel audit record from `source`; named from the record's own arch and number. */
  addAudit(rec: AuditRecord, source: string): void {
    let abi: ArchName | undefined;
    if (rec.arch !== undefined) abi = archForAudit(rec.arch, rec.syscall)?.name;
    else if (rec.archName !== undefined) abi = archFromAusearch(rec.archName);
    if (abi === undefined) return;
    const name =
      rec.syscallName ?? (rec.syscall === undefined ? undefined : syscallName(abi, rec.syscall));
    if (name === undefined) return;
    const e = this.entry(abi, name, rec.syscall, source, rec.line, rec.timestamp);
    e.count++;
    const code = auditCodeKey(rec);
    e.logged[code] = (e.logged[code] ?? 0) + 1;
    const who = rec.comm ?? (rec.exe === undefined ? undefined : commOf(rec.exe));
    if (who !== undefined && e.processes.length < MAX_PROCESSES && !e.processes.includes(who))
      e.processes.push(own(who));
    const exe = rec.exe;
    if (exe !== undefined && e.executables.length < MAX_PROCESSES && !e.executables.includes(exe))
      e.executables.push(own(exe));
  }

  /** Add a syscall known only by name and count (strace -c row). */
  addCount(
    abi: ArchName,
    name: string,
    calls: number,
    errors: number,
    source: string,
    line: number,
  ): void {
    const e = this.entry(abi, name, syscallNumber(abi, name), source, line);
    e.count += calls;
    if (errors > 0) e.errors['(errors)'] = (e.errors['(errors)'] ?? 0) + errors;
  }

  /** Number of distinct (ABI, syscall) pairs seen so far (cheap; for progress reports). */
  get distinct(): number {
    return this.map.size;
  }

  /** Everything observed, sorted by ABI then name. */
  syscalls(): ObservedSyscall[] {
    return [...this.map.values()].sort((a, b) =>
      a.abi === b.abi ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.abi < b.abi ? -1 : 1,
    );
  }
}
