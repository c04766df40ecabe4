/**
 * Console and file I/O for commands: the only module besides main.ts that touches stdout/stderr,
 * the environment and the file system on behalf of the user.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Whether colour may be used on stdout (`NO_COLOR` wins, then TTY detection). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY;
}

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
} as const;

/** Wrap text in an ANSI colour when colour is on for `stream`. */
export function paint(
  color: keyof typeof CODES,
  text: string,
  stream: NodeJS.WriteStream = process.stdout,
): string {
  return useColor(stream) ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/** Read a file, or standard input when the name is `-`. */
export function readInput(file: string): string {
  return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
}

/** Read a file as bytes, or standard input when the name is `-`. */
export function readInputBytes(file: string): Buffer {
  return file === '-' ? readFileSync(0) : readFileSync(file);
}

/**
 * Write `data` to `file` atomically: a temp file in the same directory, then rename, so a failure
 * never leaves a partial output. `-` writes to stdout.
 */
export function writeOutput(file: string, data: string | Uint8Array): void {
  if (file === '-') {
    process.stdout.write(data);
    return;
  }
  // A device, FIFO or socket (e.g. /dev/null, /dev/stdout) is written in place: renaming a temp file
  // over it would replace the device with a regular file.
  const st = statSync(file, { throwIfNoEntry: false });
  if (st !== undefined && !st.isFile()) {
    writeFileSync(file, data);
    return;
  }
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Print a line to stdout. */
export function out(text = ''): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Print a line to stderr. */
export function err(text = ''): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** JSON.stringify that writes bigints as decimal numbers when safe, else as strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint')
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : v.toString();
      return v;
    },
    indent,
  );
}

/** Print a value as JSON to stdout. */
export function outJson(value: unknown): void {
  out(toJson(value));
}

/** A one-line progress indicator on stderr, shown only on a terminal. */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;

  constructor(enabled = process.stderr.isTTY) {
    this.enabled = enabled;
  }

  /** Update the line (throttled to 10 Hz). */
  update(text: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    process.stderr.write(`\r\u001b[K${text}`);
  }

  /** Clear the line. */
  done(): void {
    if (this.enabled) process.stderr.write('\r\u001b[K');
  }
}
