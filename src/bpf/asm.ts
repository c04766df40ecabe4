/**
 * Assembler for the listing `disassemble` prints, plus a hand-written subset in the style of the
 * kernel's bpf_asm and seccomp-tools: labels (`name:`), `ld [0]`, `jeq #0x3b, allow, deny`,
 * `ret #ALLOW`, `A = arch`, `if (A != 0x3b) goto deny`, `return ERRNO(1)`.
 *
 * Jump targets are label names or absolute instruction numbers (`0012`, as in listings). Comments
 * start with `;`, `//`, or a `#` followed by a space. A listing line whose decoded column is `???`
 * is taken from its numeric columns, so any program survives a round trip.
 */
import { AsmError } from './errors.js';
import { MAX_CONDITIONAL_OFFSET, ignoredFields, type Instruction } from './instruction.js';
import { ACTION_NAMES } from './disasm.js';

/** A statement before its jump targets are resolved. */
interface Pending {
  /** Source position of the statement, for errors. */
  readonly at: Where;
  readonly code: number;
  readonly k: number;
  /** Conditional true target / JA target; `next` = the following instruction. */
  readonly t?: string;
  /** Conditional false target. */
  readonly f?: string;
  /** Fixed jt/jf (numeric columns of a `???` line). */
  readonly raw?: Instruction;
  /** jt/jf bytes of a non-conditional instruction, kept from a listing's numeric columns. */
  readonly keep?: { readonly jt: number; readonly jf: number };
}

/** A 1-based line and column in the listing. */
interface Where {
  readonly line: number;
  readonly column: number;
}

/** Target meaning "the next instruction". */
const NEXT = '\u0000next';

function fail(at: Where, message: string): never {
  throw new AsmError('asm-syntax', at.line, at.column, message);
}

/** Parse a decimal or `0x` number (negative numbers wrap to u32). */
function parseNumber(text: string, at: Where): number {
  const t = text.trim();
  const m = /^(-?)(0x[0-9a-f]+|\d+)$/i.exec(t);
  if (m === null) fail(at, `expected a number, got '${t}'`);
  const v = Number(m[2]);
  if (!Number.isSafeInteger(v) || v > 0xffffffff) fail(at, `number out of range: ${t}`);
  return (m[1] === '-' ? -v : v) >>> 0;
}

/** Parse `ALLOW`, `ERRNO(1)`, `SECCOMP_RET_TRAP`, `KILL`, or a number. */
function parseReturnValue(text: string, at: Where): number {
  const t = text.trim().replace(/^#/, '');
  const m = /^(?:SECCOMP_RET_)?([A-Z_]+)(?:\((.*)\))?$/i.exec(t);
  if (m !== null) {
    const name = (m[1] ?? '').toUpperCase();
    const base = name === 'KILL' ? 0 : ACTION_NAMES.find(([n]) => n === name)?.[1];
    if (base !== undefined) {
      const data = m[2] === undefined ? 0 : parseNumber(m[2], at);
      if (data > 0xffff) fail(at, `action data ${data} does not fit 16 bits`);
      return (base | data) >>> 0;
    }
  }
  return parseNumber(t, at);
}

/** Offset of a named `seccomp_data` word; `endian` decides which half of a u64 is the high one. */
function parseDataField(text: string, endian: 'little' | 'big', at: Where): number | undefined {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t === 'sys_number' || t === 'nr') return 0;
  if (t === 'arch') return 4;
  const d = /^data\[(.+)\]$/.exec(t);
  if (d !== null) return parseNumber(d[1] ?? '', at);
  const m = /^(instruction_pointer|args\[(\d)\])(?: (& 0xffffffff|>> 32))?$/.exec(t);
  if (m === null) return undefined;
  const base = m[1] === 'instruction_pointer' ? 8 : 16 + 8 * Number(m[2]);
  if (base > 56) fail(at, `no such argument: ${t}`);
  const high = m[3] === '>> 32';
  const firstWordIsLow = endian === 'little';
  return base + (high === firstWordIsLow ? 4 : 0);
}

const ALU_BY_OP: Readonly<Record<string, number>> = {
  '+=': 0x00,
  '-=': 0x10,
  '*=': 0x20,
  '/=': 0x30,
  '|=': 0x40,
  '&=': 0x50,
  '<<=': 0x60,
  '>>=': 0x70,
  '%=': 0x90,
  '^=': 0xa0,
};

const ALU_BY_MNEMONIC: Readonly<Record<string, number>> = {
  add: 0x00,
  sub: 0x10,
  mul: 0x20,
  div: 0x30,
  or: 0x40,
  and: 0x50,
  lsh: 0x60,
  rsh: 0x70,
  mod: 0x90,
  xor: 0xa0,
};

/** Jump mnemonic -> [BPF_OP, negated]. */
const JUMP_BY_MNEMONIC: Readonly<Record<string, readonly [number, boolean]>> = {
  jeq: [0x10, false],
  jne: [0x10, true],
  jneq: [0x10, true],
  jgt: [0x20, false],
  jle: [0x20, true],
  jge: [0x30, false],
  jlt: [0x30, true],
  jset: [0x40, false],
};

/** Condition operator of `if (...)` -> [BPF_OP, negated]. */
const JUMP_BY_OPERATOR: Readonly<Record<string, readonly [number, boolean]>> = {
  '==': [0x10, false],
  '!=': [0x10, true],
  '>': [0x20, false],
  '<=': [0x20, true],
  '>=': [0x30, false],
  '<': [0x30, true],
};

/** Strip a trailing comment. */
function stripComment(text: string): string {
  let t = text;
  const semi = t.indexOf(';');
  if (semi >= 0) t = t.slice(0, semi);
  const slashes = t.indexOf('//');
  if (slashes >= 0) t = t.slice(0, slashes);
  const hash = /(?:^|\s)#(?:\s|$)/.exec(t);
  if (hash !== null) t = t.slice(0, hash.index);
  return t.trim();
}

/** Operand `#k`, `k`, `x` or `X` -> [src bit, k]. */
function parseOperand(text: string, at: Where): [number, number] {
  const t = text.trim();
  if (t === 'x' || t === 'X' || t === '%x') return [0x08, 0];
  return [0x00, parseNumber(t.replace(/^#/, ''), at)];
}

/** Parse one statement (no label, no comment) into a pending instruction. */
function parseStatement(
  stmtText: string,
  at: Where,
  endian: 'little' | 'big',
): Omit<Pending, 'at'> {
  const s = stmtText.trim().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;

  // seccomp-tools style.
  if ((m = /^return (.+)$/.exec(s)) !== null) {
    const v = (m[1] ?? '').trim();
    return v === 'A' ? { code: 0x16, k: 0 } : { code: 0x06, k: parseReturnValue(v, at) };
  }
  if ((m = /^goto (\S+)$/.exec(s)) !== null) return { code: 0x05, k: 0, t: m[1] ?? '' };
  if ((m = /^if \((.+)\) goto (\S+)(?: else goto (\S+))?$/.exec(s)) !== null) {
    const cond = (m[1] ?? '').trim();
    const t1 = m[2] ?? '';
    const t2 = m[3];
    let op: number;
    let neg: boolean;
    let operand: string;
    let c: RegExpExecArray | null;
    if ((c = /^!\(A & (.+)\)$/.exec(cond)) !== null) [op, neg, operand] = [0x40, true, c[1] ?? ''];
    else if ((c = /^A & (.+)$/.exec(cond)) !== null) [op, neg, operand] = [0x40, false, c[1] ?? ''];
    else if ((c = /^A (==|!=|>=|<=|>|<) (.+)$/.exec(cond)) !== null) {
      const spec = JUMP_BY_OPERATOR[c[1] ?? ''];
      if (spec === undefined) fail(at, `unknown comparison in '${cond}'`);
      [op, neg] = spec;
      operand = c[2] ?? '';
    } else fail(at, `cannot parse condition '${cond}'`);
    const [src, k] = parseOperand(operand, at);
    // A negated condition swaps the targets: `if (A != k) goto a else goto b` is `jeq k, b, a`.
    const yes = t1;
    const no = t2 ?? NEXT;
    const t = neg ? no : yes;
    const f = neg ? yes : no;
    return { code: 0x05 | op | src, k, t, f };
  }
  if ((m = /^mem\[(\d+)\] = ([AX])$/.exec(s)) !== null) {
    return { code: m[2] === 'A' ? 0x02 : 0x03, k: Number(m[1]) };
  }
  if ((m = /^([AX]) = (.+)$/.exec(s)) !== null) {
    const reg = m[1];
    const rhs = (m[2] ?? '').trim();
    const ldClass = reg === 'A' ? 0x00 : 0x01;
    if (rhs === 'len') return { code: 0x80 | ldClass, k: 0 };
    const mem = /^mem\[(\d+)\]$/.exec(rhs);
    if (mem !== null) return { code: 0x60 | ldClass, k: Number(mem[1]) };
    if (reg === 'A' && rhs === 'X') return { code: 0x87, k: 0 };
    if (reg === 'X' && rhs === 'A') return { code: 0x07, k: 0 };
    if (reg === 'A' && rhs === '-A') return { code: 0x84, k: 0 };
    if (reg === 'A') {
      const off = parseDataField(rhs, endian, at);
      if (off !== undefined) return { code: 0x20, k: off };
    }
    return { code: ldClass, k: parseNumber(rhs, at) };
  }
  if ((m = /^A (\+=|-=|\*=|\/=|\|=|&=|<<=|>>=|%=|\^=) (.+)$/.exec(s)) !== null) {
    const op = ALU_BY_OP[m[1] ?? ''] ?? 0;
    const [src, k] = parseOperand(m[2] ?? '', at);
    return { code: 0x04 | op | src, k };
  }

  // bpf_asm style.
  const [mnemonicRaw, ...rest] = s.split(' ');
  const mnemonic = (mnemonicRaw ?? '').toLowerCase();
  const args = rest.join(' ');
  const memArg = (): number => {
    const mm = /^M\[(\d+)\]$/i.exec(args.trim());
    if (mm === null) fail(at, `expected M[n], got '${args}'`);
    return Number(mm[1]);
  };
  switch (mnemonic) {
    case 'ld':
    case 'ldx': {
      const cls = mnemonic === 'ld' ? 0x00 : 0x01;
      const a = args.trim();
      if (a === 'len' || a === '#len') return { code: 0x80 | cls, k: 0 };
      if (/^M\[/i.test(a)) return { code: 0x60 | cls, k: memArg() };
      const abs = /^\[(.+)\]$/.exec(a);
      if (abs !== null) {
        if (cls !== 0x00) fail(at, 'ldx has no absolute load in seccomp');
        const inner = abs[1] ?? '';
        return { code: 0x20, k: parseDataField(inner, endian, at) ?? parseNumber(inner, at) };
      }
      if (a.startsWith('#')) return { code: cls, k: parseNumber(a.slice(1), at) };
      fail(at, `cannot parse operand of ${mnemonic}: '${a}'`);
      break;
    }
    case 'st':
      return { code: 0x02, k: memArg() };
    case 'stx':
      return { code: 0x03, k: memArg() };
    case 'tax':
      return { code: 0x07, k: 0 };
    case 'txa':
      return { code: 0x87, k: 0 };
    case 'neg':
      return { code: 0x84, k: 0 };
    case 'ja':
    case 'jmp':
      return { code: 0x05, k: 0, t: args.trim() };
    case 'ret': {
      const a = args.trim();
      return a.toLowerCase() === 'a' || a === '%a'
        ? { code: 0x16, k: 0 }
        : { code: 0x06, k: parseReturnValue(a, at) };
    }
    default:
      break;
  }
  const aluOp = ALU_BY_MNEMONIC[mnemonic];
  if (aluOp !== undefined) {
    const [src, k] = parseOperand(args, at);
    return { code: 0x04 | aluOp | src, k };
  }
  const jumpSpec = JUMP_BY_MNEMONIC[mnemonic];
  if (jumpSpec !== undefined) {
    const parts = args.split(',').map((p) => p.trim());
    if (parts.length < 2 || parts.length > 3)
      fail(at, `${mnemonic} needs an operand and one or two targets`);
    const [src, k] = parseOperand(parts[0] ?? '', at);
    const [op, neg] = jumpSpec;
    const a = parts[1] ?? '';
    const b = parts[2] ?? NEXT;
    return { code: 0x05 | op | src, k, t: neg ? b : a, f: neg ? a : b };
  }
  fail(at, `cannot parse '${s}'`);
}

/** Listing line: `0012: 0x15 0x00 0x01 0x0000003b  decoded`. */
const LISTING_LINE =
  /^\s*(\d+):\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)(?:\s+(\S.*))?$/i;

/** Options of `assemble`. */
export interface AsmOptions {
  /** Byte order naming the high and low words of u64 fields (default little), as in `disassemble`. */
  readonly endian?: 'little' | 'big';
}

/** Assemble listing or hand-written text into instructions; throws {@link AsmError} (`asm-syntax`, `asm-label`, `asm-range`) with the line and column. */
export function assemble(source: string, opts: AsmOptions = {}): Instruction[] {
  const endian = opts.endian ?? 'little';
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  source.split(/\r?\n/).forEach((rawLine, i) => {
    const line = i + 1;
    /** Where `text` starts in this line (its first occurrence; column 1 when not found). */
    const where = (text: string): Where => ({
      line,
      column: Math.max(0, text === '' ? 0 : rawLine.indexOf(text)) + 1,
    });
    if (/^\s*line\s+CODE\s+JT\s+JF\s+K\s*$/.test(rawLine) || /^\s*=+\s*$/.test(rawLine)) return;
    const listing = LISTING_LINE.exec(rawLine.trimEnd());
    if (listing !== null) {
      const pc = Number(listing[1]);
      const at = where(rawLine.trimStart());
      if (pc !== pending.length)
        fail(at, `listing line ${pc} out of order (expected ${pending.length})`);
      const text = stripComment(listing[6] ?? '');
      if (text === '???' || text === '') {
        const raw = {
          code: parseInt(listing[2] ?? '0', 16),
          jt: parseInt(listing[3] ?? '0', 16),
          jf: parseInt(listing[4] ?? '0', 16),
          k: parseInt(listing[5] ?? '0', 16) >>> 0,
        };
        pending.push({ at, code: raw.code, k: raw.k, raw });
      } else {
        const textAt = where(text);
        const parsed = parseStatement(text, textAt, endian);
        const code = parseInt(listing[2] ?? '0', 16);
        if (parsed.code === code) {
          // Keep the bytes of fields this opcode ignores, which the decoded column cannot show.
          const ignored = ignoredFields(code);
          const jt = parseInt(listing[3] ?? '0', 16);
          const jf = parseInt(listing[4] ?? '0', 16);
          const k = parseInt(listing[5] ?? '0', 16) >>> 0;
          pending.push({
            at: textAt,
            ...parsed,
            k: (ignored & 2) !== 0 ? k : parsed.k,
            ...((ignored & 1) !== 0 ? { keep: { jt, jf } } : {}),
          });
        } else {
          pending.push({ at: textAt, ...parsed });
        }
      }
      return;
    }
    let text = stripComment(rawLine);
    for (;;) {
      const lab = /^([A-Z_.$][\w.$]*)\s*:(.*)$/i.exec(text);
      if (lab === null) break;
      const name = lab[1] ?? '';
      if (labels.has(name)) {
        const at = where(text);
        throw new AsmError('asm-label', at.line, at.column, `label ${name} defined twice`);
      }
      labels.set(name, pending.length);
      text = (lab[2] ?? '').trim();
    }
    if (text === '') return;
    const at = where(text);
    pending.push({ at, ...parseStatement(text, at, endian) });
  });

  const resolve = (p: Pending, pc: number, target: string): number => {
    if (target === NEXT) return pc + 1;
    const abs = /^\d+$/.test(target) ? Number(target) : labels.get(target);
    if (abs === undefined)
      throw new AsmError('asm-label', p.at.line, p.at.column, `undefined label ${target}`);
    if (abs <= pc)
      throw new AsmError(
        'asm-range',
        p.at.line,
        p.at.column,
        `jump to ${target} does not go forward`,
      );
    return abs;
  };
  return pending.map((p, pc) => {
    if (p.raw !== undefined) return p.raw;
    const jt0 = p.keep?.jt ?? 0;
    const jf0 = p.keep?.jf ?? 0;
    if (p.t === undefined) return { code: p.code, jt: jt0, jf: jf0, k: p.k };
    if (p.f === undefined)
      return { code: p.code, jt: jt0, jf: jf0, k: resolve(p, pc, p.t) - pc - 1 };
    const jt = resolve(p, pc, p.t) - pc - 1;
    const jf = resolve(p, pc, p.f) - pc - 1;
    if (jt > MAX_CONDITIONAL_OFFSET || jf > MAX_CONDITIONAL_OFFSET) {
      throw new AsmError(
        'asm-range',
        p.at.line,
        p.at.column,
        'conditional jump farther than 255 instructions',
      );
    }
    return { code: p.code, jt, jf, k: p.k };
  });
}
