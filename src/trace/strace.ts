/**
 * Streaming parser for strace output in every shape strace writes: `-f` in one file, `-ff` per-tid files,
 * `-t/-tt/-ttt/-r/-T/-n/-i/-y/-yy/-Y/-X` variants, unfinished/resumed pairs, signals, exits, personality
 * switches, `<pid changed to N ...>`, `-k` and `-e write=` continuation lines, and the `-c`/`-C` tables.
 * Garbage or truncated lines produce warnings with their line number, never an exception. The line
 * forms are in docs/semantics.md#strace-prefix, docs/semantics.md#strace-lines and
 * docs/semantics.md#strace-returns.
 */
import { findArgsEnd, scanArgs } from './tokenize.js';

/** The personality (ABI) a traced process runs in, as strace reports it. */
export type Personality = '64' | '32' | 'x32';

/**
 * The fields of a call, as a consumer reads them. {@link StraceCall} is one; the byte scanner
 * (strace-scan.ts) hands out a reused view that decodes `argsText`, `time` and `ret` only when read.
 */
export interface StraceCallFields {
  /** Thread id (the pid column), or the per-file tid for `-ff`; 0 when the line has none. */
  readonly tid: number;
  /** Syscall name as printed (`syscall_0x1c3` is kept as printed; see `nr`). */
  readonly name: string;
  /** Syscall number when known from `-n` or a `syscall_0x...` name. */
  readonly nr?: number | undefined;
  /** Personality in force for this tid when the call was made. */
  readonly personality: Personality;
  /**
   * The raw argument text between the parentheses (without the closing one; cut short for a call that
   * did not return). Split it with {@link callArgs} when the arguments are needed.
   */
  readonly argsText: string;
  /** Return value (`undefined` for `= ?`). */
  readonly ret?: bigint | undefined;
  /** errno name on failure (`ENOENT`), or `errno 4000` for an unnamed one. */
  readonly errno?: string | undefined;
  /** The call did not return (killed or detached inside it). */
  readonly interrupted: boolean;
  /** Timestamp text when the trace has one. */
  readonly time?: string | undefined;
  /** Process name from `-Y`. */
  readonly comm?: string | undefined;
  /** 1-based line of the call's entry. */
  readonly line: number;
}

/** A completed (or interrupted) system call. */
export interface StraceCall extends StraceCallFields {
  readonly kind: 'call';
  readonly nr?: number;
  readonly ret?: bigint;
  readonly errno?: string;
  readonly time?: string;
  readonly comm?: string;
}

/** Other events the parser reports. */
export type StraceEvent =
  | StraceCall
  | {
      readonly kind: 'signal';
      readonly tid: number;
      readonly signal: string;
      readonly line: number;
    }
  | {
      readonly kind: 'exit';
      readonly tid: number;
      readonly code?: number;
      readonly signal?: string;
      readonly line: number;
    }
  | {
      readonly kind: 'personality';
      readonly tid: number;
      readonly personality: Personality;
      readonly line: number;
    };

/** A line the parser could not use. */
export interface StraceWarning {
  /** 1-based line number. */
  readonly line: number;
  /** Why. */
  readonly message: string;
}

interface Prefix {
  tid: number;
  comm?: string;
  time?: string;
  nr?: number;
  rest: string;
}

/** A call seen entering (`<unfinished ...>`), waiting for its `resumed` line. */
export interface Pending {
  name: string;
  nr?: number;
  argsText: string;
  line: number;
  time?: string;
  comm?: string;
  personality: Personality;
}

const PERSONALITY_RE = /^\[ Process PID=(\d+) runs in (32 bit|64 bit|x32) mode\. \]$/;
const CALL_HEAD_RE = /^([a-z0-9_]+|\?{4})\(/;
const RESUMED_RE = /^<\.\.\. ([a-z0-9_]+|\?{4}) resumed>/;
const UNKNOWN_NAME_RE = /^syscall_(0x[0-9a-f]+|\d+)$/;
const RET_RE = /^\s*= (0x[0-9a-f]+|-?\d+|\?)(?: (E[A-Z0-9_]+) \([^)]*\)| \(errno (\d+)\))?/;

function unescapeComm(s: string): string {
  return s.replace(/\\(\d{2,3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse the optional prefix fields of a line (pid, comm, timestamps, `-n`, `-i`). */
function parsePrefix(raw: string): Prefix {
  let s = raw;
  let tid = 0;
  let comm: string | undefined;
  let time: string | undefined;
  let nr: number | undefined;
  // `[pid  N] ` (strace writing to stderr)
  let m = /^\[pid +(\d+)\] /.exec(s);
  if (m?.[1] !== undefined) {
    tid = Number(m[1]);
    s = s.slice(m[0].length);
  } else {
    m = /^(\d+)(?=[ <])/.exec(s);
    if (m?.[1] !== undefined) {
      tid = Number(m[1]);
      s = s.slice(m[0].length);
      if (s.startsWith('<')) {
        const close = s.indexOf('> ');
        if (close > 0) {
          comm = unescapeComm(s.slice(1, close));
          s = s.slice(close + 1);
        }
      }
      s = s.replace(/^ +/, '');
    }
  }
  // -t / -tt / -ttt / -r
  m = /^ *(\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+) +/.exec(s);
  if (m?.[1] !== undefined) {
    time = m[1];
    s = s.slice(m[0].length);
  }
  m = /^\(\+ *[\d.]+\) +/.exec(s);
  if (m) s = s.slice(m[0].length);
  // -n
  m = /^\[ *(\d+)\] /.exec(s);
  if (m?.[1] !== undefined) {
    nr = Number(m[1]);
    s = s.slice(m[0].length);
  }
  // -i
  m = /^\[[0-9a-f?]{16}\] /.exec(s);
  if (m) s = s.slice(m[0].length);
  const p: Prefix = { tid, rest: s };
  if (comm !== undefined) p.comm = comm;
  if (time !== undefined) p.time = time;
  if (nr !== undefined) p.nr = nr;
  return p;
}

export function parseRet(text: string): { ret?: bigint; errno?: string } | undefined {
  const m = RET_RE.exec(text);
  if (!m) return undefined;
  const out: { ret?: bigint; errno?: string } = {};
  const v = m[1];
  if (v !== undefined && v !== '?') {
    // strace prints umask-like results in octal with a leading 0; `09` is no number strace prints.
    if (/^0\d+$/.test(v)) {
      if (!/^0[0-7]+$/.test(v)) return undefined;
      out.ret = BigInt('0o' + v.slice(1));
    } else out.ret = BigInt(v);
  }
  if (m[2] !== undefined) out.errno = m[2];
  else if (m[3] !== undefined) out.errno = `errno ${m[3]}`;
  return out;
}

/** A call that printed `= ?` did not return, unless it is exit or exit_group. */
export function withInterrupted(
  r: { ret?: bigint; errno?: string },
  name: string,
): { ret?: bigint; errno?: string; interrupted: boolean } {
  const out = r as { ret?: bigint; errno?: string; interrupted: boolean };
  out.interrupted = r.ret === undefined && name !== 'exit' && name !== 'exit_group';
  return out;
}

export function nrFromName(name: string): number | undefined {
  const m = UNKNOWN_NAME_RE.exec(name);
  if (!m?.[1]) return undefined;
  return m[1].startsWith('0x') ? parseInt(m[1].slice(2), 16) : parseInt(m[1], 10);
}

/** Calls whose positive return value is a new thread or process id. */
export const FORK_LIKE: ReadonlySet<string> = new Set(['clone', 'clone3', 'fork', 'vfork']);
const UNFINISHED = ' <unfinished ...>';
const DETACHED = ' <detached ...>';
const SUMMARY_RE =
  /^(?:% time|-{6} |\s*\d+\.\d+\s+\d+\.\d+|\s*100\.00 |System call usage summary|calls\s|\s*-+\s)/;

/**
 * Calls in flight kept by default: one per thread that entered a call strace has not seen return.
 * A real trace has at most one per live thread (pid_max is 4,194,304; a busy machine runs a few
 * thousand threads); a log of calls never resumed would otherwise hold every one of them.
 */
export const MAX_PENDING = 65_536;

/** Options of {@link StraceParser}. */
export interface StraceParserOptions {
  /** Thread id to use for lines without a pid column (e.g. the suffix of an `-ff` file). */
  readonly tid?: number;
  /** How many warnings to keep. */
  readonly maxWarnings?: number;
  /**
   * How many calls in flight to keep (default {@link MAX_PENDING}). Past it the oldest is reported
   * as interrupted (the call happened) and counted in `droppedPending`.
   */
  readonly maxPending?: number;
}

/**
 * Incremental strace parser: feed lines with `push`, call `finish` at the end.
 * Memory is bounded by the number of calls in flight (one per thread, at most `maxPending`) and the
 * threads running a non-native personality.
 */
export class StraceParser {
  protected readonly pending = new Map<number, Pending>();
  /**
   * The calls put in flight, oldest first (tid and entry; dead ones skipped and compacted), so the
   * oldest is found without walking the map past its deleted entries.
   */
  private orderTids: number[] = [];
  private orderPends: Pending[] = [];
  private orderHead = 0;
  /** Personalities other than `64` by tid (absent means `64`). */
  protected readonly personalities = new Map<number, Personality>();
  protected lineNo = 0;
  /** Warnings so far (capped at `maxWarnings`; `droppedWarnings` counts the rest). */
  readonly warnings: StraceWarning[] = [];
  /** Warnings not kept because the cap was reached. */
  droppedWarnings = 0;
  /** Calls in flight reported as interrupted early because more than `maxPending` were waiting. */
  droppedPending = 0;
  /** The cap on calls in flight. */
  readonly maxPending: number;
  private readonly maxWarnings: number;
  protected readonly defaultTid: number;

  constructor(opts: StraceParserOptions = {}) {
    this.defaultTid = opts.tid ?? 0;
    this.maxWarnings = opts.maxWarnings ?? 1000;
    this.maxPending = Math.max(1, opts.maxPending ?? MAX_PENDING);
  }

  /** Lines read so far. */
  get lines(): number {
    return this.lineNo;
  }

  protected warn(message: string): void {
    if (this.warnings.length < this.maxWarnings) this.warnings.push({ line: this.lineNo, message });
    else this.droppedWarnings++;
  }

  protected personalityOf(tid: number): Personality {
    return this.personalities.get(tid) ?? '64';
  }

  /** Record a tid's personality (`64`, the default, is kept as no entry). */
  protected setPersonality(tid: number, p: Personality): void {
    if (p === '64') this.personalities.delete(tid);
    else this.personalities.set(tid, p);
  }

  /**
   * Keep `pend` as `tid`'s call in flight; past `maxPending` the oldest one is reported (into
   * `events`) as interrupted.
   */
  protected setPending(tid: number, pend: Pending, events: StraceEvent[]): void {
    if (this.pending.size >= this.maxPending && !this.pending.has(tid)) {
      // The oldest call still in flight: the first entry of `order` that is still pending.
      for (;;) {
        const at = this.orderHead++;
        const oldest = this.orderTids[at];
        if (oldest === undefined) break;
        if (this.pending.get(oldest) !== this.orderPends[at]) continue;
        const c = this.flushPending(oldest);
        if (c) events.push(c);
        if (this.droppedPending++ === 0)
          this.warn(
            `more than ${this.maxPending} calls in flight: the oldest are reported as interrupted`,
          );
        break;
      }
    }
    // Always a fresh entry, so the map's order is the order calls went in flight.
    this.pending.delete(tid);
    this.pending.set(tid, pend);
    this.orderTids.push(tid);
    this.orderPends.push(pend);
    const kept = this.orderTids.length - this.orderHead;
    if (kept > 2 * this.pending.size + 1024 || this.orderHead > kept + 1024) this.compactOrder();
  }

  /**
   * Drop the entries of `order` no longer in flight and those already passed (amortized: run once
   * they outnumber the live ones).
   */
  private compactOrder(): void {
    const tids: number[] = [];
    const pends: Pending[] = [];
    for (let i = this.orderHead; i < this.orderTids.length; i++) {
      const t = this.orderTids[i];
      const p = this.orderPends[i];
      if (t !== undefined && p !== undefined && this.pending.get(t) === p) {
        tids.push(t);
        pends.push(p);
      }
    }
    this.orderTids = tids;
    this.orderPends = pends;
    this.orderHead = 0;
  }

  /** Parse one line (without its newline) and return the events it completes. */
  push(rawLine: string): StraceEvent[] {
    this.lineNo++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const c0 = line.charCodeAt(0);
    // Fast path: a line starting with a pid digit followed by a space and a letter is an ordinary call.
    if (!(c0 >= 0x30 && c0 <= 0x39) || !/^\d+ +[a-z<]/.test(line)) {
      if (line.trim() === '') return [];
      if (
        line.startsWith(' > ') ||
        line.startsWith(' | ') ||
        line.startsWith('strace: ') ||
        line.startsWith('$ ')
      )
        return [];
      if (SUMMARY_RE.test(line)) return [];
    }
    const p = parsePrefix(line);
    const tid = p.tid === 0 ? this.defaultTid : p.tid;
    const body = p.rest;

    if (body.startsWith('+++ ')) return this.exitLine(tid, body);
    if (body.startsWith('--- ')) {
      const m = /^--- (?:stopped by )?(SIG[A-Z0-9+-]+)/.exec(body);
      if (m?.[1] !== undefined) return [{ kind: 'signal', tid, signal: m[1], line: this.lineNo }];
      this.warn(`unrecognised signal line: ${body.slice(0, 80)}`);
      return [];
    }
    if (body.startsWith('[ Process ')) {
      const m = PERSONALITY_RE.exec(body);
      if (!m?.[1] || !m[2]) {
        this.warn(`unrecognised personality line: ${body.slice(0, 80)}`);
        return [];
      }
      const pid = Number(m[1]);
      const pers: Personality = m[2] === '32 bit' ? '32' : m[2] === '64 bit' ? '64' : 'x32';
      this.setPersonality(pid, pers);
      if (tid !== 0) this.setPersonality(tid, pers);
      return [{ kind: 'personality', tid: pid, personality: pers, line: this.lineNo }];
    }
    const resumed = RESUMED_RE.exec(body);
    if (resumed?.[1] !== undefined)
      return this.resumedLine(tid, resumed[1], body.slice(resumed[0].length), p);
    const head = CALL_HEAD_RE.exec(body);
    if (head?.[1] !== undefined) return this.callLine(tid, head[1], body, head[0].length, p);
    this.warn(`unrecognised line: ${body.slice(0, 80)}`);
    return [];
  }

  protected exitLine(tid: number, body: string): StraceEvent[] {
    // The leader is replaced by the exec'ing thread; its pending execve now belongs to this tid.
    if (/^\+\+\+ superseded by execve in pid \d+ \+\+\+$/.test(body)) return [];
    let m = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(body);
    const events: StraceEvent[] = [];
    const flushed = this.flushPending(tid);
    if (flushed) events.push(flushed);
    if (m?.[1] !== undefined) {
      events.push({ kind: 'exit', tid, code: Number(m[1]), line: this.lineNo });
      return events;
    }
    m = /^\+\+\+ killed by (SIG[A-Z0-9+-]+)(?: \(core dumped\))? \+\+\+$/.exec(body);
    if (m?.[1] !== undefined) {
      events.push({ kind: 'exit', tid, signal: m[1], line: this.lineNo });
      return events;
    }
    this.warn(`unrecognised exit line: ${body.slice(0, 80)}`);
    return events;
  }

  /** A thread ended with a call in flight: report it as interrupted. */
  protected flushPending(tid: number): StraceCall | undefined {
    const p = this.pending.get(tid);
    if (!p) return undefined;
    this.pending.delete(tid);
    return this.makeCall(tid, p, p.argsText, { interrupted: true });
  }

  protected makeCall(
    tid: number,
    p: Pending,
    argsText: string,
    r: { ret?: bigint; errno?: string; interrupted: boolean },
  ): StraceCall {
    const nr = p.nr ?? nrFromName(p.name);
    const call: {
      -readonly [K in keyof StraceCall]: StraceCall[K];
    } = {
      kind: 'call',
      tid,
      name: p.name,
      personality: p.personality,
      argsText,
      interrupted: r.interrupted,
      line: p.line,
    };
    if (nr !== undefined) call.nr = nr;
    if (r.ret !== undefined) call.ret = r.ret;
    if (r.errno !== undefined) call.errno = r.errno;
    if (p.time !== undefined) call.time = p.time;
    if (p.comm !== undefined) call.comm = p.comm;
    if (FORK_LIKE.has(p.name) && r.ret !== undefined && r.ret > 0n) {
      this.setPersonality(Number(r.ret), p.personality);
    }
    return call;
  }

  protected callLine(
    tid: number,
    name: string,
    body: string,
    argStart: number,
    p: Prefix,
  ): StraceEvent[] {
    const events: StraceEvent[] = [];
    const stale = this.flushPending(tid);
    if (stale) {
      this.warn(`${stale.name} of tid ${tid} never resumed`);
      events.push(stale);
    }
    const pend: Pending = {
      name,
      line: this.lineNo,
      personality: this.personalityOf(tid),
      argsText: '',
    };
    if (p.nr !== undefined) pend.nr = p.nr;
    if (p.time !== undefined) pend.time = p.time;
    if (p.comm !== undefined) pend.comm = p.comm;
    const rest = body.slice(argStart);
    // Only a line ending in '>' can be split (<unfinished ...>, <detached ...>, <pid changed ...>).
    const split = rest.charCodeAt(rest.length - 1) === 0x3e;
    if (split && rest.endsWith(UNFINISHED)) {
      pend.argsText = rest.slice(0, -UNFINISHED.length);
      this.setPending(tid, pend, events);
      return events;
    }
    if (split && rest.endsWith(DETACHED)) {
      pend.argsText = rest.slice(0, -DETACHED.length);
      events.push(this.makeCall(tid, pend, pend.argsText, { interrupted: true }));
      return events;
    }
    const changed = split ? / <pid changed to (\d+) \.\.\.>$/.exec(rest) : null;
    if (changed?.[1] !== undefined) {
      // execve by a non-leader thread: the call resumes under the thread-group leader id.
      pend.argsText = rest.slice(0, -changed[0].length);
      const leader = Number(changed[1]);
      const leaderCall = this.flushPending(leader);
      if (leaderCall) events.push(leaderCall);
      this.setPending(leader, pend, events);
      return events;
    }
    const end = findArgsEnd(rest, 0);
    if (end < 0) {
      this.warn(`truncated call line: ${name}(`);
      events.push(this.makeCall(tid, pend, rest, { interrupted: true }));
      return events;
    }
    const r = parseRet(rest.slice(end));
    if (!r) {
      this.warn(`call without a return value: ${name}`);
      events.push(this.makeCall(tid, pend, rest.slice(0, end - 1), { interrupted: true }));
      return events;
    }
    events.push(this.makeCall(tid, pend, rest.slice(0, end - 1), withInterrupted(r, name)));
    return events;
  }

  protected resumedLine(tid: number, name: string, rest: string, p: Prefix): StraceEvent[] {
    const pend = this.pending.get(tid);
    if (pend?.name !== name) {
      // An orphan: we never saw the entry (attached mid-call, or a truncated log). The call happened.
      this.warn(`resumed ${name} without an unfinished entry`);
      const orphan: Pending = {
        name,
        line: this.lineNo,
        personality: this.personalityOf(tid),
        argsText: '',
      };
      if (p.nr !== undefined) orphan.nr = p.nr;
      if (p.time !== undefined) orphan.time = p.time;
      if (pend) {
        this.pending.delete(tid);
        return [
          this.makeCall(tid, pend, pend.argsText, { interrupted: true }),
          ...this.finishResumed(tid, orphan, rest, true),
        ];
      }
      return this.finishResumed(tid, orphan, rest, true);
    }
    this.pending.delete(tid);
    return this.finishResumed(tid, pend, rest, false);
  }

  protected finishResumed(
    tid: number,
    pend: Pending,
    rest: string,
    orphan: boolean,
  ): StraceEvent[] {
    if (rest.endsWith(' <unfinished ...>) = ?') || rest === ' <unfinished ...>) = ?') {
      return [this.makeCall(tid, pend, pend.argsText, { interrupted: true })];
    }
    if (rest.endsWith(' <unfinished ...>')) {
      // Resumed and suspended again (seen with restart_syscall); keep waiting.
      pend.argsText += rest.slice(0, -' <unfinished ...>'.length);
      const events: StraceEvent[] = [];
      this.setPending(tid, pend, events);
      return events;
    }
    const full = orphan ? rest : pend.argsText + rest;
    // Find the end of the arguments: scan the combined text.
    const end = findArgsEnd(full, 0);
    if (end < 0) {
      this.warn(`truncated resumed line: ${pend.name}`);
      return [this.makeCall(tid, pend, full, { interrupted: true })];
    }
    const r = parseRet(full.slice(end));
    if (!r) {
      this.warn(`resumed ${pend.name} without a return value`);
      return [this.makeCall(tid, pend, full.slice(0, end - 1), { interrupted: true })];
    }
    return [this.makeCall(tid, pend, full.slice(0, end - 1), withInterrupted(r, pend.name))];
  }

  /** End of input: report calls still in flight as interrupted. */
  finish(): StraceEvent[] {
    const out: StraceEvent[] = [];
    for (const tid of [...this.pending.keys()]) {
      const c = this.flushPending(tid);
      if (c) out.push(c);
    }
    return out;
  }
}

/** Split a call's raw argument text into its top-level arguments. */
export function callArgs(call: { readonly argsText: string }): string[] {
  return scanArgs(call.argsText, 0).args;
}

/** Parse a whole strace text (convenience for small inputs and tests). */
export function parseStrace(
  text: string,
  opts: { tid?: number } = {},
): { events: StraceEvent[]; warnings: StraceWarning[] } {
  const parser = new StraceParser(opts);
  const events: StraceEvent[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const l of lines) for (const e of parser.push(l)) events.push(e);
  for (const e of parser.finish()) events.push(e);
  return { events, warnings: parser.warnings };
}
