/**
 * Tokenizer for strace argument lists. strace output cannot be split on `, ` or `) = `: strings hold
 * quotes, commas and parentheses, and `-y`/`-yy` fd decorations hold unbalanced quotes. This scanner
 * tracks strings, nesting of `([{`, comments and fd decorations (docs/semantics.md#strace-arguments).
 */

/** Result of scanning an argument list that starts right after `(`. */
export interface ArgScan {
  /** Top-level arguments, trimmed, in order (empty list for `()`). */
  readonly args: string[];
  /** Index just after the closing `)`, or -1 when the list is not closed on this text. */
  readonly end: number;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/**
 * Whether a `<` at `i` opens an fd decoration: right after a digit (`3</path>`) or after `AT_FDCWD`,
 * but not the shift in `1<<CAP_CHOWN`.
 */
function opensDecoration(text: string, i: number): boolean {
  if (text[i + 1] === '<' || text[i - 1] === '<') return false;
  if (isDigit(text[i - 1])) return true;
  return text.endsWith('AT_FDCWD', i);
}

/** Skip an fd decoration starting at `<` (index `i`); returns the index after its closing `>`. */
function skipDecoration(text: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '<') depth++;
    else if (c === '>' && text[j - 1] !== '-') {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return text.length;
}

const STRING_STOP = /["\\]/g;

/** Skip a double-quoted C string starting at `"` (index `i`); returns the index after the closing quote. */
function skipString(text: string, i: number): number {
  STRING_STOP.lastIndex = i + 1;
  for (;;) {
    const m = STRING_STOP.exec(text);
    if (!m) return text.length;
    if (text.charCodeAt(m.index) === 0x22) return m.index + 1;
    STRING_STOP.lastIndex = m.index + 2;
  }
}

const SPECIAL = /["()[\]{}</]/g;

/**
 * Index just after the `)` closing an argument list that starts at `start` (just after its `(`),
 * or -1 when the text ends first. Same rules as {@link scanArgs}, without building the arguments:
 * it jumps from one special character to the next, which keeps long lines cheap.
 */
export function findArgsEnd(text: string, start: number): number {
  let depth = 0;
  SPECIAL.lastIndex = start;
  for (;;) {
    const m = SPECIAL.exec(text);
    if (!m) return -1;
    const i = m.index;
    switch (text.charCodeAt(i)) {
      case 0x22: // "
        SPECIAL.lastIndex = skipString(text, i);
        break;
      case 0x2f: // /
        if (text.charCodeAt(i + 1) === 0x2a) {
          const close = text.indexOf('*/', i + 2);
          SPECIAL.lastIndex = close < 0 ? text.length : close + 2;
        }
        break;
      case 0x3c: // <
        if (opensDecoration(text, i)) SPECIAL.lastIndex = skipDecoration(text, i);
        break;
      case 0x28: // (
      case 0x5b: // [
      case 0x7b: // {
        depth++;
        break;
      case 0x5d: // ]
      case 0x7d: // }
        depth--;
        break;
      case 0x29: // )
        if (depth === 0) return i + 1;
        depth--;
        break;
      default:
        break;
    }
  }
}

/**
 * Scan the argument list of a call. `start` is the index just after the opening `(`.
 * Stops at the matching `)` at depth 0.
 */
export function scanArgs(text: string, start: number): ArgScan {
  const args: string[] = [];
  let depth = 0;
  let argStart = start;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = skipString(text, i);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (c === '<' && opensDecoration(text, i)) {
      i = skipDecoration(text, i);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ')') {
      if (depth === 0) {
        const last = text.slice(argStart, i).trim();
        if (last !== '' || args.length > 0) args.push(last);
        return { args, end: i + 1 };
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(text.slice(argStart, i).trim());
      argStart = i + 1;
    }
    i++;
  }
  const last = text.slice(argStart).trim();
  if (last !== '') args.push(last);
  return { args, end: -1 };
}

/**
 * The argument at `index` of a list that starts at 0 of `text` (just after its `(`), as
 * `scanArgs(text, 0).args[index]` would give it, without building the others.
 */
export function argAt(text: string, index: number): string | undefined {
  let depth = 0;
  let argStart = 0;
  let k = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
      continue;
    }
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (c === 0x3c && opensDecoration(text, i)) {
      i = skipDecoration(text, i);
      continue;
    }
    if (c === 0x28 || c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x29) {
      if (depth === 0) {
        if (k !== index) return undefined;
        const last = text.slice(argStart, i).trim();
        return last !== '' || k > 0 ? last : undefined;
      }
      depth--;
    } else if (c === 0x2c && depth === 0) {
      if (k === index) return text.slice(argStart, i).trim();
      k++;
      argStart = i + 1;
    }
    i++;
  }
  if (k !== index) return undefined;
  const last = text.slice(argStart).trim();
  return last !== '' ? last : undefined;
}

/** Remove C comments (`/* ... *\/`) from an argument token. */
export function stripComments(token: string): string {
  let out = '';
  let i = 0;
  while (i < token.length) {
    if (token[i] === '"') {
      const j = skipString(token, i);
      out += token.slice(i, j);
      i = j;
      continue;
    }
    if (token.startsWith('/*', i)) {
      const close = token.indexOf('*/', i + 2);
      i = close < 0 ? token.length : close + 2;
      continue;
    }
    out += token.charAt(i);
    i++;
  }
  return out.trim();
}

/** Split `name=value` (strace's named arguments such as `flags=...`); returns undefined when unnamed. */
export function namedArg(token: string): { name: string; value: string } | undefined {
  const eq = token.indexOf('=');
  if (eq <= 0) return undefined;
  const name = token.slice(0, eq);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return undefined;
  return { name, value: token.slice(eq + 1) };
}
