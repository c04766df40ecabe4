/**
 * The fast path of the strace parser: bytes in, calls out, with the same results as
 * {@link StraceParser} line by line (property-tested in strace-scan.test.ts, chunks cut anywhere).
 *
 * Input arrives as Buffer chunks at arbitrary boundaries. Lines are found with `indexOf` on the
 * newline byte and parsed where they lie: the prefix (pid, `-Y` comm, times, `-n`, `-i`), the name
 * (interned by its bytes, no string per line), the end of the arguments (the tokenizer's rules on
 * bytes: every character it looks at is ASCII, so UTF-8 sequences never match) and the return
 * value. A call is handed to the sink as one reused view that decodes its argument text, time and
 * return value only when read, so a consumer that needs the arguments of a few syscalls pays for
 * those only. Every rarer line (exits, signals, personality switches, detached or `pid changed`
 * calls, orphans, anything unrecognised) is decoded and given to the line parser this class
 * extends, which holds the one state machine both share.
 */
import { LOG_MAX_LINE, lineTooLong } from './lines.js';
import {
  FORK_LIKE,
  nrFromName,
  StraceParser,
  type Pending,
  type Personality,
  type StraceCallFields,
  type StraceEvent,
  type StraceParserOptions,
} from './strace.js';

/** Where the scanner's results go. */
export interface StraceSink {
  /** A call. `c` may be a reused view: read what is needed now, keep nothing of it. */
  call(c: StraceCallFields): void;
  /** Any other event (signal, exit, personality). */
  event(e: StraceEvent): void;
}

const NL = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const QUOTE = 0x22;
const BSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MINUS = 0x2d;

function isDigitByte(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** `[a-z0-9_]`: the bytes of a syscall name as the parser's CALL_HEAD_RE reads it. */
function isNameByte(c: number): boolean {
  return NAME_BYTE[c] === 1;
}

const UNFINISHED = Buffer.from(' <unfinished ...>', 'latin1');
const DOTS_GT = Buffer.from('...>', 'latin1');
const AT_FDCWD = Buffer.from('AT_FDCWD', 'latin1');

function endsWithBytes(b: Buffer, start: number, end: number, tail: Uint8Array): boolean {
  const n = tail.length;
  if (end - start < n) return false;
  for (let k = 0; k < n; k++) if (b[end - n + k] !== tail[k]) return false;
  return true;
}

/** After a `"` at `i`: the index after the closing quote, or `end` (tokenize.ts skipString). */
function skipStringBytes(b: Buffer, i: number, end: number): number {
  let j = i + 1;
  while (j < end) {
    const c = b[j] ?? 0;
    if (STOP_IN_STRING[c] === 0) j++;
    else if (c === QUOTE) return j + 1;
    else j += 2;
  }
  return end;
}

/** tokenize.ts opensDecoration on bytes; `start` is where the argument text begins. */
function opensDecorationBytes(b: Buffer, start: number, i: number, end: number): boolean {
  if ((i + 1 < end && b[i + 1] === LT) || (i > start && b[i - 1] === LT)) return false;
  if (i > start && isDigitByte(b[i - 1])) return true;
  return i - start >= AT_FDCWD.length && endsWithBytes(b, start, i, AT_FDCWD);
}

/** tokenize.ts skipDecoration on bytes. */
function skipDecorationBytes(b: Buffer, i: number, end: number): number {
  let depth = 0;
  let j = i;
  while (j < end) {
    const c = b[j];
    if (c === BSLASH) {
      j += 2;
      continue;
    }
    if (c === LT) depth++;
    else if (c === GT && b[j - 1] !== MINUS) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return end;
}

/** Bytes findArgsEnd stops at: `"()[]{}</` (tokenize.ts SPECIAL). */
const SPECIAL = new Uint8Array(256);
for (const c of '"()[]{}</') SPECIAL[c.charCodeAt(0)] = 1;
/** Bytes a string scan stops at: `"` and `\`. */
const STOP_IN_STRING = new Uint8Array(256);
STOP_IN_STRING[QUOTE] = 1;
STOP_IN_STRING[BSLASH] = 1;
/** `[a-z0-9_]` */
const NAME_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++)
  NAME_BYTE[c] = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f ? 1 : 0;

/**
 * tokenize.ts findArgsEnd on bytes: the index just after the `)` closing an argument list that
 * starts at `start`, or -1 when the line (`end`) comes first.
 */
export function findArgsEndBytes(b: Buffer, start: number, end: number): number {
  let depth = 0;
  let i = start;
  for (;;) {
    while (i < end && SPECIAL[b[i] ?? 0] === 0) i++;
    if (i >= end) return -1;
    switch (b[i] ?? 0) {
      case QUOTE:
        i = skipStringBytes(b, i, end);
        continue;
      case SLASH:
        if (i + 1 < end && b[i + 1] === STAR) {
          let j = i + 2;
          while (j + 1 < end && !(b[j] === STAR && b[j + 1] === SLASH)) j++;
          i = j + 1 < end ? j + 2 : end;
          continue;
        }
        break;
      case LT:
        if (opensDecorationBytes(b, start, i, end)) {
          i = skipDecorationBytes(b, i, end);
          continue;
        }
        break;
      case LPAREN:
      case LBRACK:
      case LBRACE:
        depth++;
        break;
      case RBRACK:
      case RBRACE:
        depth--;
        break;
      case RPAREN:
        if (depth === 0) return i + 1;
        depth--;
        break;
      default:
        break;
    }
    i++;
  }
}

/** An interned name: its bytes and the string made once. */
interface NameSlot {
  readonly name: string;
  readonly nr: number | undefined;
  readonly forkLike: boolean;
  readonly exits: boolean;
}

/** Small strings (names, errno names, comms) interned by their bytes. */
class Interner<T> {
  private readonly table: (T | undefined)[] = new Array<T | undefined>(4096);
  private readonly keys: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(4096);
  private size = 0;

  constructor(private readonly make: (b: Buffer, start: number, end: number) => T) {}

  get(b: Buffer, start: number, end: number): T {
    let h = 0x811c9dc5;
    for (let k = start; k < end; k++) h = Math.imul(h ^ (b[k] ?? 0), 0x01000193);
    let slot = (h >>> 0) & 4095;
    const n = end - start;
    for (let probe = 0; probe < 4096; probe++) {
      const key = this.keys[slot];
      if (key === undefined) {
        const v = this.make(b, start, end);
        if (this.size < 3072) {
          this.keys[slot] = Uint8Array.from(b.subarray(start, end));
          this.table[slot] = v;
          this.size++;
        }
        return v;
      }
      if (key.length === n) {
        let same = true;
        for (let k = 0; k < n; k++)
          if (key[k] !== b[start + k]) {
            same = false;
            break;
          }
        if (same) return this.table[slot] as T;
      }
      slot = (slot + 1) & 4095;
    }
    return this.make(b, start, end);
  }
}

function utf8(b: Buffer, start: number, end: number): string {
  return b.toString('utf8', start, end);
}

function unescapeComm(s: string): string {
  return s.replace(/\\(\d{2,3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The reused view of the call being handed to the sink. */
class ScannedCall implements StraceCallFields {
  tid = 0;
  name = '';
  nr: number | undefined = undefined;
  personality: Personality = '64';
  errno: string | undefined = undefined;
  interrupted = false;
  comm: string | undefined = undefined;
  line = 0;
  buf: Buffer = Buffer.alloc(0);
  argsStart = 0;
  argsEnd = 0;
  timeStart = -1;
  timeEnd = -1;
  /** 0: no value (`?`); 1: `retNum` holds it; 2: the text at retStart..retEnd (hex or long). */
  retKind = 0;
  retNum = 0;
  retStart = 0;
  retEnd = 0;
  private args: string | undefined = undefined;

  reset(): void {
    this.args = undefined;
  }

  get argsText(): string {
    this.args ??= utf8(this.buf, this.argsStart, this.argsEnd);
    return this.args;
  }

  get time(): string | undefined {
    return this.timeStart < 0 ? undefined : utf8(this.buf, this.timeStart, this.timeEnd);
  }

  get ret(): bigint | undefined {
    if (this.retKind === 0) return undefined;
    if (this.retKind === 1) return BigInt(this.retNum);
    return BigInt(utf8(this.buf, this.retStart, this.retEnd));
  }
}

/**
 * Byte-level strace parser: `push` Buffer chunks cut anywhere, `end` at the end of input. Events go
 * to the sink given to each call. Same state, warnings and caps as the {@link StraceParser} it
 * extends (and `push(line)` of that class still takes whole lines).
 */
export class StraceScanner extends StraceParser {
  /** Lines decoded and given to the line parser (the rest were parsed as bytes). */
  slowLines = 0;
  private carry: Buffer = Buffer.alloc(0);
  private carryLength = 0;
  private readonly view = new ScannedCall();
  private readonly names = new Interner<NameSlot>((b, s, e) => {
    const name = utf8(b, s, e);
    return {
      name,
      nr: nrFromName(name),
      forkLike: FORK_LIKE.has(name),
      exits: name === 'exit' || name === 'exit_group',
    };
  });
  private readonly errnos = new Interner<string>((b, s, e) => utf8(b, s, e));
  private readonly comms = new Interner<string>((b, s, e) => unescapeComm(utf8(b, s, e)));

  constructor(
    opts: StraceParserOptions = {},
    /** File name for errors (`-` for stdin). */
    private readonly file = '-',
    /** Longest line accepted, in characters. */
    private readonly maxLine = LOG_MAX_LINE,
  ) {
    super(opts);
  }

  /** Add a chunk of bytes (it may be reused by the caller once this returns). */
  pushBytes(chunk: Buffer, sink: StraceSink): void {
    let start = 0;
    const n = chunk.length;
    if (this.carryLength > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.append(chunk, 0, n);
        return;
      }
      this.append(chunk, 0, nl);
      const len = this.carryLength;
      this.carryLength = 0;
      this.carry[len] = NL; // the sentinel every line has after its end
      this.line(this.carry, 0, len, sink);
      start = nl + 1;
    }
    for (let nl = chunk.indexOf(NL, start); nl >= 0; nl = chunk.indexOf(NL, start)) {
      if (nl - start > this.maxLine) this.checkLength(chunk, start, nl);
      this.line(chunk, start, nl, sink);
      start = nl + 1;
    }
    if (start < n) this.append(chunk, start, n);
  }

  /** End of input: the last line if it had no newline, then the calls still in flight. */
  endBytes(sink: StraceSink): void {
    if (this.carryLength > 0) {
      const len = this.carryLength;
      this.carryLength = 0;
      this.carry[len] = NL;
      this.line(this.carry, 0, len, sink);
    }
    for (const e of this.finish()) this.emit(e, sink);
  }

  private append(b: Buffer, start: number, end: number): void {
    const need = this.carryLength + (end - start);
    if (need + 1 > this.carry.length) {
      const next = Buffer.allocUnsafe(Math.max(need + 1, this.carry.length * 2, 4096));
      this.carry.copy(next, 0, 0, this.carryLength);
      this.carry = next;
    }
    this.carry.set(b.subarray(start, end), this.carryLength);
    this.carryLength = need;
    if (need > this.maxLine) this.checkLength(this.carry, 0, need);
  }

  /** Refuse a line longer than `maxLine` characters, as LineSplitter does (counted in UTF-16 units). */
  private checkLength(b: Buffer, start: number, end: number): void {
    if (end - start <= this.maxLine) return;
    // Bytes are at most 3 per UTF-16 unit; decode only when the count is in doubt.
    if (end - start <= 3 * this.maxLine + 3 && utf8(b, start, end).length <= this.maxLine) return;
    throw lineTooLong(this.file, this.lines + 1, this.maxLine);
  }

  private emit(e: StraceEvent, sink: StraceSink): void {
    if (e.kind === 'call') sink.call(e);
    else sink.event(e);
  }

  /** The reference path for one line. */
  private slow(b: Buffer, start: number, end: number, sink: StraceSink): void {
    this.slowLines++;
    for (const e of this.push(utf8(b, start, end))) this.emit(e, sink);
  }

  /**
   * One line, without its newline. The byte at `lineEnd` is a newline (a sentinel: every check
   * below reads at most one byte past the line, and a newline matches none of them).
   */
  private line(b: Buffer, start: number, lineEnd: number, sink: StraceSink): void {
    const end = lineEnd > start && b[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    let i = start;
    let tid = 0;
    let commStart = -1;
    let commEnd = -1;
    const c0 = b[i];
    // The pid column (`N ` or `N<comm> `) or `[pid N] `; a line without either goes the slow way.
    if (isDigitByte(c0)) {
      let v = 0;
      while (i < end && isDigitByte(b[i])) v = v * 10 + ((b[i++] ?? 0) - 0x30);
      if (i - start > 15) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
      if (b[i] === LT) {
        // comm: up to the first `> ` of the line (parsePrefix)
        let close = -1;
        for (let k = i + 1; k + 1 < end; k++)
          if (b[k] === GT && b[k + 1] === SP) {
            close = k;
            break;
          }
        if (close <= i + 1) {
          this.slow(b, start, lineEnd, sink);
          return;
        }
        commStart = i + 1;
        commEnd = close;
        i = close + 1;
      } else if (b[i] !== SP) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
      while (i < end && b[i] === SP) i++;
      tid = v;
    } else if (c0 === LBRACK && b[i + 1] === 0x70 && b[i + 2] === 0x69 && b[i + 3] === 0x64) {
      // `[pid +N] `
      let j = i + 4;
      if (b[j] !== SP) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
      while (j < end && b[j] === SP) j++;
      const d = j;
      let v = 0;
      while (j < end && isDigitByte(b[j])) v = v * 10 + ((b[j++] ?? 0) - 0x30);
      if (j === d || j - d > 15 || b[j] !== RBRACK || b[j + 1] !== SP) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
      tid = v;
      i = j + 2;
    } else if (c0 === LT || (c0 !== undefined && c0 >= 0x61 && c0 <= 0x7a)) {
      // No pid column (`-ff` files): the body at once. Lines such as `strace: ...` or a `calls`
      // table header fail the name-then-`(` test below and go the slow way.
      i = start;
    } else {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    // -t / -tt / -ttt / -r: ` *(\d\d:\d\d:\d\d(\.\d+)?|\d+\.\d+) +`
    let timeStart = -1;
    let timeEnd = -1;
    {
      let j = i;
      while (j < end && b[j] === SP) j++;
      if (isDigitByte(b[j])) {
        const t = this.timeAt(b, j, end);
        if (t > j && b[t] === SP) {
          timeStart = j;
          timeEnd = t;
          i = t;
          while (i < end && b[i] === SP) i++;
        }
      }
    }
    // `(+ N.N) ` of -r with -t, `[ N] ` of -n, `[hex16] ` of -i
    if (b[i] === LPAREN) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    let nr: number | undefined;
    if (b[i] === LBRACK) {
      let j = i + 1;
      while (j < end && b[j] === SP) j++;
      const d = j;
      let v = 0;
      while (j < end && isDigitByte(b[j])) v = v * 10 + ((b[j++] ?? 0) - 0x30);
      if (j > d && j - d <= 15 && b[j] === RBRACK && b[j + 1] === SP) {
        nr = v;
        i = j + 2;
      }
      if (b[i] === LBRACK) {
        this.slow(b, start, lineEnd, sink);
        return;
      } // -i
    }
    if (tid === 0) tid = this.defaultTid;
    // The body: `name(...` or `<... name resumed>...`; anything else the slow way.
    const h = i;
    const c = b[i];
    if (c === LT) {
      this.resumed(b, start, h, end, lineEnd, tid, sink);
      return;
    }
    if (c === undefined || !isNameByte(c)) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    while (i < end && isNameByte(b[i] ?? 0)) i++;
    if (b[i] !== LPAREN) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    const slot = this.names.get(b, h, i);
    const argStart = i + 1;
    // Lines ending in `>` may be split: unfinished is handled here, detached and `pid changed`
    // (both end in `...>`) the slow way; others (`-y` decorations) are complete calls.
    const split =
      end > argStart && b[end - 1] === GT && endsWithBytes(b, argStart, end, UNFINISHED);
    if (!split && end - argStart >= 4 && endsWithBytes(b, argStart, end, DOTS_GT)) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    let argsClose = -1;
    let retAt = -1;
    if (!split) {
      argsClose = findArgsEndBytes(b, argStart, end);
      if (argsClose < 0) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
      retAt = this.retAt(b, argsClose, end);
      if (retAt < 0) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
    }
    // A line the fast path takes: from here on, the same steps as StraceParser.callLine.
    this.lineNo++;
    const comm = commStart < 0 ? undefined : this.comms.get(b, commStart, commEnd);
    const stale = this.flushPending(tid);
    if (stale) {
      this.warn(`${stale.name} of tid ${tid} never resumed`);
      sink.call(stale);
    }
    const personality = this.personalityOf(tid);
    if (split) {
      const pend: Pending = {
        name: slot.name,
        line: this.lineNo,
        personality,
        argsText: utf8(b, argStart, end - UNFINISHED.length),
      };
      if (nr !== undefined) pend.nr = nr;
      if (timeStart >= 0) pend.time = utf8(b, timeStart, timeEnd);
      if (comm !== undefined) pend.comm = comm;
      const events: StraceEvent[] = [];
      this.setPending(tid, pend, events);
      for (const e of events) this.emit(e, sink);
      return;
    }
    const v = this.view;
    v.reset();
    v.tid = tid;
    v.name = slot.name;
    v.nr = nr ?? slot.nr;
    v.personality = personality;
    v.line = this.lineNo;
    v.comm = comm;
    v.buf = b;
    v.argsStart = argStart;
    v.argsEnd = argsClose - 1;
    v.timeStart = timeStart;
    v.timeEnd = timeEnd;
    this.readRet(b, retAt, end, v);
    v.interrupted = v.retKind === 0 && !slot.exits;
    if (slot.forkLike && v.retKind !== 0) {
      const r = v.ret;
      if (r !== undefined && r > 0n) this.setPersonality(Number(r), personality);
    }
    sink.call(v);
  }

  /** The end of a time field at `j` (`\d\d:\d\d:\d\d(\.\d+)?` or `\d+\.\d+`), or -1. */
  private timeAt(b: Buffer, j: number, end: number): number {
    if (
      j + 8 <= end &&
      isDigitByte(b[j + 1]) &&
      b[j + 2] === 0x3a &&
      isDigitByte(b[j + 3]) &&
      isDigitByte(b[j + 4]) &&
      b[j + 5] === 0x3a &&
      isDigitByte(b[j + 6]) &&
      isDigitByte(b[j + 7])
    ) {
      let k = j + 8;
      if (b[k] === 0x2e && isDigitByte(b[k + 1])) {
        k += 2;
        while (k < end && isDigitByte(b[k])) k++;
      }
      return k;
    }
    let k = j;
    while (k < end && isDigitByte(b[k])) k++;
    if (b[k] !== 0x2e || !isDigitByte(b[k + 1])) return -1;
    k += 2;
    while (k < end && isDigitByte(b[k])) k++;
    return k;
  }

  /**
   * Where the return value starts after `\s*= ` (parseRet's RET_RE), or -1 when the text there is
   * not one the fast path reads exactly as parseRet does (then the line goes the slow way).
   */
  private retAt(b: Buffer, i: number, end: number): number {
    let j = i;
    while (j < end) {
      const c = b[j];
      if (c === SP || (c !== undefined && c >= 0x09 && c <= 0x0d)) j++;
      else break;
    }
    if (b[j] !== 0x3d || b[j + 1] !== SP) return -1;
    j += 2;
    const c = b[j];
    if (c === 0x3f) return j; // ?
    if (c === 0x30 && b[j + 1] === 0x78) {
      const k = j + 2;
      const h = b[k];
      if (h !== undefined && ((h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66))) return j;
      return -1;
    }
    // `0` followed by digits is octal to parseRet: the slow way.
    if (c === 0x30 && isDigitByte(b[j + 1])) return -1;
    if (isDigitByte(c)) return j;
    if (c === MINUS && isDigitByte(b[j + 1])) return j;
    return -1;
  }

  /** Read the return value at `j` (checked by retAt) and the errno after it into `v`. */
  private readRet(b: Buffer, j: number, end: number, v: ScannedCall): void {
    v.errno = undefined;
    let k: number;
    const c = b[j];
    if (c === 0x3f) {
      v.retKind = 0;
      k = j + 1;
    } else if (c === 0x30 && b[j + 1] === 0x78) {
      k = j + 2;
      while (k < end) {
        const h = b[k] ?? 0;
        if ((h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66)) k++;
        else break;
      }
      v.retKind = 2;
      v.retStart = j;
      v.retEnd = k;
    } else {
      const neg = c === MINUS;
      k = neg ? j + 1 : j;
      const d = k;
      let n = 0;
      while (k < end && isDigitByte(b[k])) n = n * 10 + ((b[k++] ?? 0) - 0x30);
      if (k - d <= 15) {
        v.retKind = 1;
        v.retNum = neg ? -n : n;
      } else {
        v.retKind = 2;
        v.retStart = j;
        v.retEnd = k;
      }
    }
    // ` (E[A-Z0-9_]+) \([^)]*\)` or ` \(errno (\d+)\)`
    if (b[k] !== SP) return;
    const e = b[k + 1];
    if (e === 0x45) {
      let m = k + 2;
      while (m < end) {
        const x = b[m] ?? 0;
        if ((x >= 0x41 && x <= 0x5a) || (x >= 0x30 && x <= 0x39) || x === 0x5f) m++;
        else break;
      }
      if (m === k + 2 || b[m] !== SP || b[m + 1] !== LPAREN) return;
      const close = b.indexOf(RPAREN, m + 2);
      if (close < 0 || close >= end) return;
      v.errno = this.errnos.get(b, k + 1, m);
    } else if (e === LPAREN) {
      // ` (errno N)`
      const tag = ' (errno ';
      for (let t = 0; t < tag.length; t++) if (b[k + t] !== tag.charCodeAt(t)) return;
      let m = k + tag.length;
      const d = m;
      while (m < end && isDigitByte(b[m])) m++;
      if (m === d || b[m] !== RPAREN) return;
      v.errno = `errno ${utf8(b, d, m)}`;
    }
  }

  /** A `<... name resumed>` line at `h`. */
  private resumed(
    b: Buffer,
    start: number,
    h: number,
    end: number,
    lineEnd: number,
    tid: number,
    sink: StraceSink,
  ): void {
    // `<... ` name ` resumed>`
    if (b[h + 1] !== 0x2e || b[h + 2] !== 0x2e || b[h + 3] !== 0x2e || b[h + 4] !== SP) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    let i = h + 5;
    const n0 = i;
    while (i < end && isNameByte(b[i] ?? 0)) i++;
    const tail = ' resumed>';
    if (i === n0 || end - i < tail.length) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    for (let t = 0; t < tail.length; t++)
      if (b[i + t] !== tail.charCodeAt(t)) {
        this.slow(b, start, lineEnd, sink);
        return;
      }
    const slot = this.names.get(b, n0, i);
    const pend = this.pending.get(tid);
    // An orphan (no matching entry) goes the slow way, which warns.
    if (pend?.name !== slot.name) {
      this.slow(b, start, lineEnd, sink);
      return;
    }
    this.lineNo++;
    this.pending.delete(tid);
    for (const e of this.finishResumed(tid, pend, utf8(b, i + tail.length, end), false))
      this.emit(e, sink);
  }
}
