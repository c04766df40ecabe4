/**
 * The evidence file: what a workload was seen doing, per syscall, so every line of a generated profile
 * can be traced back to an observation. JSON, versioned, deterministic (sorted, no clocks unless the
 * caller puts a time into `meta`).
 *
 * Format `sysgate-evidence` version 1:
 * ```
 * {
 *   "format": "sysgate-evidence",
 *   "version": 1,
 *   "host": "x86_64",                      // native ABI of the traced machine
 *   "meta": { "inputs": 1, "sources": ["trace.strace"], "command": ["python3", "app.py"], ... },
 *   "totals": { "calls": 1319, "syscalls": 73, "processes": 5 },
 *   "syscalls": [
 *     { "abi": "x86_64", "name": "socket", "nr": 41, "count": 3, "coverage": 1,
 *       "errors": { "EAFNOSUPPORT": 1 },                  // errno outcomes -> count
 *       "firstSeen": { "source": "trace.strace", "line": 812, "time": "12:00:01.5" },
 *       "processes": ["python3"], "executables": ["/usr/bin/python3"],
 *       "args": { "family": { "index": 0, "values": [ { "value": "1", "text": "AF_UNIX", "count": 2 } ] } },
 *       "logged": { "0x7ffc0000": 3 } }                   // audit input: seccomp action code -> count
 *   ]
 * }
 * ```
 * `coverage` is how many inputs (runs, replicas) saw the syscall; `value` is the decimal u64 when it
 * could be computed, `text` what the trace printed. Evidence recorded `--via seccomp` has
 * `meta.recorder: "seccomp"` and `meta.unseen` (what that recorder cannot see: no `errors`, argument
 * values straight from the registers, `firstSeen.line` the call's position in the record stream).
 *
 * `widened` (optional, written by `generate` and `record`) lists the calls the profile allows
 * without their being seen, each with its reason and source (widen.ts):
 * `{ "name": "nanosleep", "kind": "family", "id": "sleep", "from": ["clock_nanosleep"], "reason": ..., "source": ... }`.
 * It is never read back as evidence of need: reading an evidence file drops it, and generation
 * works it out again from the calls seen.
 */
import { isArchName, type ArchName } from '../arch/index.js';
import { DocumentError, type IssueList } from '../document/errors.js';
import { IssueCollector, type Locate } from '../document/issues.js';
import { parseJsonSource } from '../document/source.js';
import { toPointer } from '../document/pointer.js';
import type { Observation } from '../trace/observe.js';
import type { Provenance } from './provenance.js';

/** The `format` marker of an evidence file. */
export const EVIDENCE_FORMAT = 'sysgate-evidence';
/** The evidence format version this code writes and reads. */
export const EVIDENCE_VERSION = 1;

/** One value seen for an argument. */
export interface EvidenceArgValue {
  /** Decimal u64, when computable. */
  readonly value?: string;
  /** What the trace printed (comments removed). */
  readonly text: string;
  /** How many calls passed it. */
  readonly count: number;
}

/** The values seen for one argument of a syscall. */
export interface EvidenceArg {
  /** Argument index as seccomp sees it. */
  readonly index: number;
  /** Values, most frequent first. */
  readonly values: readonly EvidenceArgValue[];
}

/** Where a syscall was first seen. */
export interface EvidenceFirstSeen {
  /** Input file (or `-`). */
  readonly source: string;
  /** 1-based line in it. */
  readonly line: number;
  /** Timestamp text when the trace had one. */
  readonly time?: string;
}

/** Everything known about one syscall on one ABI. */
export interface EvidenceSyscall {
  /** ABI the call was made on. */
  readonly abi: ArchName;
  /** Name in that ABI's table. */
  readonly name: string;
  /** Number on that ABI, when known. */
  readonly nr?: number;
  /** Calls seen. */
  readonly count: number;
  /** How many inputs saw it (1 for a single recording). */
  readonly coverage: number;
  /** errno outcomes -> count. */
  readonly errors: Readonly<Record<string, number>>;
  /** First sighting. */
  readonly firstSeen: EvidenceFirstSeen;
  /** Process names: comm, or the name the kernel gives the executable when no comm was recorded. */
  readonly processes: readonly string[];
  /** Executables that made the call. */
  readonly executables: readonly string[];
  /** Argument values per label (`family`, `flags`, `persona`...). */
  readonly args: Readonly<Record<string, EvidenceArg>>;
  /** Seccomp actions logged by the kernel for it (audit input): action code -> count. */
  readonly logged: Readonly<Record<string, number>>;
}

/** Free-form facts about how the evidence was made. */
export interface EvidenceMeta {
  /** How many inputs were combined (runs, replicas, files). */
  readonly inputs: number;
  /** Input files or descriptions. */
  readonly sources: readonly string[];
  /** The recorded command, when recorded by sysgate. */
  readonly command?: readonly string[];
  /** Docker image, for `record --docker`. */
  readonly image?: string;
  /** The workload's exit status (128+signal when killed). */
  readonly exitCode?: number;
  /** Wall time of the recording in milliseconds. */
  readonly durationMs?: number;
  /** ISO time the recording started. */
  readonly recordedAt?: string;
  /** Warnings from the parsers (line numbers included), at most 100. */
  readonly warnings?: readonly string[];
  /**
   * Processes that crashed while traced (killed by SIGSEGV, SIGABRT, SIGSYS...), e.g.
   * `pid 15389 killed by SIGSEGV (trace line 4)`; at most 16. The evidence covers only what they did
   * before.
   */
  readonly crashes?: readonly string[];
  /**
   * Calls in flight past the strace parser's cap (`max`, per trace): `dropped` of them were reported
   * as interrupted before their `resumed` line came (counted; a later resumed line counts again).
   * Absent when none were.
   */
  readonly inFlight?: { readonly max: number; readonly dropped: number };
  /**
   * How the calls were recorded: `strace` (also when absent) or `seccomp` (`record --via seccomp`: a
   * user-notification filter, which sees numbers and argument registers only).
   */
  readonly recorder?: 'strace' | 'seccomp';
  /** What the recorder could not see, one sentence each (`record --via seccomp`). */
  readonly unseen?: readonly string[];
  /** Where each recording behind the evidence came from (image, command, tool versions, date). */
  readonly provenance?: readonly Provenance[];
  /**
   * `record --runs N`: each run's schedule (`CPU 1`, `all CPUs, nice 19`...), exit status, wall
   * time and distinct syscalls; per-syscall `coverage` then counts the runs that saw it.
   */
  readonly runs?: readonly {
    readonly schedule: string;
    readonly exitCode: number;
    readonly durationMs: number;
    readonly syscalls: number;
  }[];
}

/** Totals over the whole evidence. */
export interface EvidenceTotals {
  /** Calls seen. */
  readonly calls: number;
  /** Distinct (ABI, name) pairs. */
  readonly syscalls: number;
  /** Distinct threads/processes seen (0 when unknown). */
  readonly processes: number;
}

/** A whole evidence file. */
export interface Evidence {
  /** Always {@link EVIDENCE_FORMAT}. */
  readonly format: typeof EVIDENCE_FORMAT;
  /** Always {@link EVIDENCE_VERSION}. */
  readonly version: typeof EVIDENCE_VERSION;
  /** Native ABI of the traced machine. */
  readonly host: ArchName;
  /** How it was made. */
  readonly meta: EvidenceMeta;
  /** Totals. */
  readonly totals: EvidenceTotals;
  /** Per syscall, sorted by ABI then name. */
  readonly syscalls: readonly EvidenceSyscall[];
  /** Calls the generated profile allows without their being seen (never read back). */
  readonly widened?: readonly EvidenceWidening[];
}

/** A call a generated profile allows without its being seen, with why (see widen.ts). */
export interface EvidenceWidening {
  /** The syscall. */
  readonly name: string;
  /** `family` (an equivalent of a seen call) or `companion` (a call of a code path seen in part). */
  readonly kind: 'family' | 'companion';
  /** The knowledge base's family or companion id. */
  readonly id: string;
  /** The seen calls that justify it. */
  readonly from: readonly string[];
  /** Why. */
  readonly reason: string;
  /** Where the knowledge base has it from. */
  readonly source: string;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort syscalls by ABI then name (the canonical order). */
export function sortSyscalls<T extends { abi: string; name: string }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => cmp(a.abi, b.abi) || cmp(a.name, b.name));
}

/** Sort argument values: most frequent first, then by value/text. */
export function sortValues(values: readonly EvidenceArgValue[]): EvidenceArgValue[] {
  return [...values].sort(
    (a, b) => b.count - a.count || cmp(a.value ?? a.text, b.value ?? b.text) || cmp(a.text, b.text),
  );
}

function sortedRecord(r: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => cmp(a, b)));
}

/** Totals computed from a syscall list. */
export function totalsOf(syscalls: readonly EvidenceSyscall[], processes: number): EvidenceTotals {
  return {
    calls: syscalls.reduce((n, s) => n + s.count, 0),
    syscalls: syscalls.length,
    processes,
  };
}

/** Turn an {@link Observation} into evidence (deterministic for a given observation and meta). */
export function toEvidence(observation: Observation, meta: Partial<EvidenceMeta> = {}): Evidence {
  const syscalls: EvidenceSyscall[] = sortSyscalls(
    observation.syscalls().map((s) => {
      const out: EvidenceSyscall = {
        abi: s.abi,
        name: s.name,
        ...(s.nr !== undefined ? { nr: s.nr } : {}),
        count: s.count,
        coverage: 1,
        errors: sortedRecord(s.errors),
        firstSeen: { ...s.firstSeen },
        processes: [...s.processes].sort(cmp),
        executables: [...s.executables].sort(cmp),
        args: Object.fromEntries(
          Object.entries(s.args)
            .sort(([a], [b]) => cmp(a, b))
            .map(([label, a]) => [
              label,
              {
                index: a.index,
                values: sortValues(
                  a.values.map((v) => ({
                    ...(v.value !== undefined ? { value: v.value } : {}),
                    text: v.text,
                    count: v.count,
                  })),
                ),
              },
            ]),
        ),
        logged: sortedRecord(s.logged),
      };
      return out;
    }),
  );
  return {
    format: EVIDENCE_FORMAT,
    version: EVIDENCE_VERSION,
    host: observation.host,
    meta: { inputs: 1, sources: [], ...meta },
    totals: totalsOf(syscalls, observation.tids.size),
    syscalls,
  };
}

/** Serialise evidence as stable, indented JSON (ends with a newline). */
export function writeEvidence(evidence: Evidence): string {
  return JSON.stringify(evidence, null, 2) + '\n';
}

/** Codes of the problems found in an evidence file. */
export type EvidenceIssueCode =
  /** The text is not JSON. */
  | 'evidence-syntax'
  /** The JSON is not a sysgate evidence file (no `format` marker). */
  | 'not-evidence'
  /** An evidence version this code does not read. */
  | 'evidence-version'
  /** A field of the wrong type or value. */
  | 'evidence-invalid';

/** An evidence file that cannot be read; holds every problem with its pointer and position. */
export class EvidenceError extends DocumentError<EvidenceIssueCode, 'evidence-invalid'> {
  constructor(issues: IssueList<EvidenceIssueCode>) {
    super(
      'evidence-invalid',
      issues,
      `${issues.length} problem(s) in evidence file: ${issues[0].message}`,
    );
  }
}

/** Collects shape problems with pointers and their positions in the file. */
class Checker {
  readonly issues: IssueCollector<EvidenceIssueCode>;

  constructor(file: string, locate: Locate) {
    this.issues = new IssueCollector(file, locate);
  }

  add(
    pointer: (string | number)[],
    message: string,
    code: EvidenceIssueCode = 'evidence-invalid',
  ): void {
    this.issues.error(code, message, toPointer(pointer));
  }

  /** Throw every issue found so far, if any. */
  throwIfAny(): void {
    const list = this.issues.errors();
    if (list !== undefined) throw new EvidenceError(list);
  }

  /** Add the issue that makes reading stop, then throw every issue found. */
  fail(pointer: (string | number)[], message: string, code: EvidenceIssueCode): never {
    this.add(pointer, message, code);
    return this.stop();
  }

  /** Throw every issue found (at least one error has been added). */
  stop(): never {
    const list = this.issues.errors();
    if (list === undefined) throw new Error('evidence checker: stop() without an error');
    throw new EvidenceError(list);
  }

  object(v: unknown, p: (string | number)[]): Record<string, unknown> | undefined {
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
    this.add(
      p,
      `expected an object, found ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
    );
    return undefined;
  }

  count(v: unknown, p: (string | number)[]): number {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    this.add(p, `expected a non-negative integer, found ${JSON.stringify(v)}`);
    return 0;
  }

  string(v: unknown, p: (string | number)[]): string {
    if (typeof v === 'string') return v;
    this.add(p, `expected a string, found ${JSON.stringify(v)}`);
    return '';
  }

  strings(v: unknown, p: (string | number)[]): string[] {
    if (!Array.isArray(v)) {
      this.add(p, 'expected an array of strings');
      return [];
    }
    return v.map((x, i) => this.string(x, [...p, i]));
  }

  counts(v: unknown, p: (string | number)[]): Record<string, number> {
    const o = this.object(v, p);
    if (o === undefined) return {};
    return Object.fromEntries(Object.entries(o).map(([k, n]) => [k, this.count(n, [...p, k])]));
  }
}

function readSyscall(c: Checker, v: unknown, p: (string | number)[]): EvidenceSyscall | undefined {
  const o = c.object(v, p);
  if (o === undefined) return undefined;
  const abi = c.string(o.abi, [...p, 'abi']);
  if (abi !== '' && !isArchName(abi)) c.add([...p, 'abi'], `unknown ABI "${abi}"`);
  const name = c.string(o.name, [...p, 'name']);
  if (name !== '' && !/^[a-z0-9_]+$/.test(name))
    c.add([...p, 'name'], `"${name}" is not a syscall name`);
  const fs = c.object(o.firstSeen, [...p, 'firstSeen']) ?? {};
  const firstSeen: EvidenceFirstSeen = {
    source: c.string(fs.source, [...p, 'firstSeen', 'source']),
    line: c.count(fs.line, [...p, 'firstSeen', 'line']),
    ...(fs.time !== undefined ? { time: c.string(fs.time, [...p, 'firstSeen', 'time']) } : {}),
  };
  const argsObj = o.args === undefined ? {} : (c.object(o.args, [...p, 'args']) ?? {});
  const args: Record<string, EvidenceArg> = {};
  for (const [label, a] of Object.entries(argsObj)) {
    const ap = [...p, 'args', label];
    const ao = c.object(a, ap);
    if (ao === undefined) continue;
    const index = c.count(ao.index, [...ap, 'index']);
    if (index > 5) c.add([...ap, 'index'], `argument index ${index} is above 5`);
    const values: EvidenceArgValue[] = [];
    if (!Array.isArray(ao.values)) c.add([...ap, 'values'], 'expected an array');
    else
      ao.values.forEach((x, i) => {
        const vp = [...ap, 'values', i];
        const vo = c.object(x, vp);
        if (vo === undefined) return;
        const value = vo.value === undefined ? undefined : c.string(vo.value, [...vp, 'value']);
        if (value !== undefined && !/^\d+$/.test(value))
          c.add([...vp, 'value'], `expected a decimal number string, found "${value}"`);
        values.push({
          ...(value !== undefined ? { value } : {}),
          text: c.string(vo.text, [...vp, 'text']),
          count: c.count(vo.count, [...vp, 'count']),
        });
      });
    args[label] = { index, values };
  }
  return {
    abi: abi as ArchName,
    name,
    ...(o.nr !== undefined ? { nr: c.count(o.nr, [...p, 'nr']) } : {}),
    count: c.count(o.count, [...p, 'count']),
    coverage: o.coverage === undefined ? 1 : c.count(o.coverage, [...p, 'coverage']),
    errors: o.errors === undefined ? {} : c.counts(o.errors, [...p, 'errors']),
    firstSeen,
    processes: o.processes === undefined ? [] : c.strings(o.processes, [...p, 'processes']),
    executables: o.executables === undefined ? [] : c.strings(o.executables, [...p, 'executables']),
    args,
    logged: o.logged === undefined ? {} : c.counts(o.logged, [...p, 'logged']),
  };
}

/** Whether a parsed JSON value looks like an evidence file (its `format` marker). */
export function isEvidenceJson(v: unknown): boolean {
  return (
    typeof v === 'object' && v !== null && (v as { format?: unknown }).format === EVIDENCE_FORMAT
  );
}

/**
 * Read an evidence file. Throws an {@link EvidenceError} with one issue per problem (JSON pointer
 * and file position included) when the text is not valid JSON or not evidence of a version this code reads.
 */
export function readEvidence(text: string, file: string): Evidence {
  // Positions come from a position-tracking parse, made only when there is something to report.
  let located: Locate | undefined;
  const locate: Locate = (pointer) => {
    located ??= parseJsonSource(text, file).documents[0]?.locate ?? (() => undefined);
    return located(pointer);
  };
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    const syntax = parseJsonSource(text, file).issues.find((i) => i.severity === 'error');
    const c = new Checker(file, () => syntax?.position ?? { line: 1, column: 1 });
    c.fail([], `not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'evidence-syntax');
  }
  const c = new Checker(file, locate);
  const o = c.object(root, []) ?? c.stop();
  if (o.format !== EVIDENCE_FORMAT) {
    c.fail(
      ['format'],
      `not a sysgate evidence file (expected "format": "${EVIDENCE_FORMAT}")`,
      'not-evidence',
    );
  }
  if (o.version !== EVIDENCE_VERSION) {
    c.add(
      ['version'],
      `unsupported evidence version ${JSON.stringify(o.version)} (this sysgate reads ${EVIDENCE_VERSION})`,
      'evidence-version',
    );
  }
  const host = c.string(o.host, ['host']);
  if (host !== '' && !isArchName(host)) c.add(['host'], `unknown architecture "${host}"`);
  const m = o.meta === undefined ? {} : (c.object(o.meta, ['meta']) ?? {});
  const meta: EvidenceMeta = {
    ...(m as Partial<EvidenceMeta>),
    inputs: m.inputs === undefined ? 1 : c.count(m.inputs, ['meta', 'inputs']),
    sources: m.sources === undefined ? [] : c.strings(m.sources, ['meta', 'sources']),
    ...(m.crashes !== undefined ? { crashes: c.strings(m.crashes, ['meta', 'crashes']) } : {}),
    ...(m.unseen !== undefined ? { unseen: c.strings(m.unseen, ['meta', 'unseen']) } : {}),
  };
  if (m.recorder !== undefined && m.recorder !== 'strace' && m.recorder !== 'seccomp')
    c.add(
      ['meta', 'recorder'],
      `expected "strace" or "seccomp", found ${JSON.stringify(m.recorder)}`,
    );
  if (m.provenance !== undefined) {
    const ok =
      Array.isArray(m.provenance) &&
      m.provenance.every(
        (p: unknown) =>
          typeof p === 'object' &&
          p !== null &&
          typeof (p as Partial<Provenance>).date === 'string' &&
          Array.isArray((p as Partial<Provenance>).command) &&
          typeof (p as Partial<Provenance>).tools === 'object',
      );
    if (!ok) c.add(['meta', 'provenance'], 'expected a list of {date, command, tools, image?}');
  }
  const syscalls: EvidenceSyscall[] = [];
  if (!Array.isArray(o.syscalls)) c.add(['syscalls'], 'expected an array');
  else
    o.syscalls.forEach((s, i) => {
      const r = readSyscall(c, s, ['syscalls', i]);
      if (r) syscalls.push(r);
    });
  c.throwIfAny();
  const t = (o.totals ?? {}) as { processes?: unknown };
  const sorted = sortSyscalls(syscalls);
  return {
    format: EVIDENCE_FORMAT,
    version: EVIDENCE_VERSION,
    host: host as ArchName,
    meta,
    totals: totalsOf(sorted, typeof t.processes === 'number' ? t.processes : 0),
    syscalls: sorted,
  };
}
