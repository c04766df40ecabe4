/**
 * Console and file I/O for commands: the only module besides main.ts that touches stdout/stderr,
 * the environment and the file system on behalf of the user.
 */
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  fchmodSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RuntimeError, UsageError } from '../document/errors.js';

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

/**
 * Largest document read whole (profiles, suites, evidence, listings): 64 MiB. Reading a file means
 * holding its text and a syntax tree about ten times its size; logs are streamed and not capped here.
 */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** Read a whole input (a file, or fd 0 for `-`), refusing one over {@link MAX_INPUT_BYTES}. */
function readWhole(file: string): Buffer {
  const fd = file === '-' ? 0 : openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > MAX_INPUT_BYTES) tooLarge(file);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      let n: number;
      try {
        n = readSyncRetry(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_INPUT_BYTES) tooLarge(file);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (file !== '-') closeSync(fd);
  }
}

function tooLarge(file: string): never {
  throw new UsageError(
    `${file}: larger than ${MAX_INPUT_BYTES / (1024 * 1024)} MiB; sysgate reads documents up to that size`,
    'input-too-large',
  );
}

/** `readSync` that retries when a non-blocking stdin has no data yet. */
function readSyncRetry(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** Read a file, or standard input when the name is `-`. */
export function readInput(file: string): string {
  return readWhole(file).toString('utf8');
}

/** Read a file as bytes, or standard input when the name is `-`. */
export function readInputBytes(file: string): Buffer {
  return readWhole(file);
}

/**
 * Errors of writing a path the user named: the path is wrong or not writable (exit 2, like any bad
 * input). Anything else (ENOSPC, EDQUOT, EIO, EFBIG...) is the system failing to store (exit 3).
 */
export const BAD_PATH_ERRNOS: ReadonlySet<string> = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'ENAMETOOLONG',
  'ELOOP',
  'EACCES',
  'EPERM',
  'EROFS',
  'EEXIST',
  'EINVAL',
  'ETXTBSY',
]);

/** Why writing `file` failed, as the error the CLI reports. */
export function writeError(file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return e as Error;
  const what = file === '-' ? 'standard output' : file;
  const reason = (e as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+(?: '.*')?$/, '');
  if (BAD_PATH_ERRNOS.has(code))
    return new UsageError(`cannot write ${what}: ${reason} (${code})`, 'output-path');
  return new RuntimeError('write', `cannot write ${what}: ${reason} (${code})`, { cause: e });
}

/** Signals that would kill the process in the middle of an atomic write. */
const WRITE_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run `fn` (synchronous) so that SIGINT, SIGTERM and SIGHUP arriving meanwhile wait for it to finish
 * (its temp file renamed or removed), then take their usual effect.
 */
function withSignalsDeferred(fn: () => void): void {
  const received: NodeJS.Signals[] = [];
  const handler = (sig: NodeJS.Signals): void => {
    received.push(sig);
  };
  for (const s of WRITE_SIGNALS) process.on(s, handler);
  try {
    fn();
  } finally {
    // A signal delivered during fn is dispatched on the next turn of the event loop.
    setImmediate(() => {
      for (const s of WRITE_SIGNALS) process.off(s, handler);
      const sig = received[0];
      if (sig !== undefined && process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * Write `data` to `file` atomically: a temp file in the same directory, then rename, so a failure
 * never leaves a partial output. The file keeps its mode and owner, a symlink is written through
 * (its target is replaced, the link stays), and a device, FIFO or socket is written in place.
 * `-` writes to stdout. Errors are {@link writeError}s; no temp file is left behind, even when
 * SIGINT or SIGTERM arrives during the write.
 */
export function writeOutput(file: string, data: string | Uint8Array): void {
  if (file === '-') {
    writeStdout(data);
    return;
  }
  try {
    withSignalsDeferred(() => {
      writeFileAtomic(file, data);
    });
  } catch (e) {
    throw writeError(file, e);
  }
}

function writeFileAtomic(file: string, data: string | Uint8Array): void {
  // Write through a symlink: replace what it points to.
  const target =
    statSync(file, { throwIfNoEntry: false }) === undefined ? file : realpathSync(file);
  const st = statSync(target, { throwIfNoEntry: false });
  // A device, FIFO or socket (e.g. /dev/null, /dev/stdout) is written in place: renaming a temp file
  // over it would replace the device with a regular file.
  if (st !== undefined && !st.isFile()) {
    writeFileSync(target, data);
    return;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // A new file gets the usual 0666 & ~umask; an existing one its own mode and owner.
    const fd = openSync(tmp, 'wx', st === undefined ? 0o666 : 0o600);
    try {
      writeAll(fd, data);
      if (st !== undefined) {
        // chown first: it clears set-id bits that the chmod then restores.
        if (process.getuid?.() === 0 && (st.uid !== 0 || st.gid !== 0))
          chownSync(tmp, st.uid, st.gid);
        fchmodSync(fd, st.mode & 0o7777);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write every byte to `fd` (synchronously; short writes continue). */
function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

let stdoutClosed = false;

/**
 * Notice whether standard output was closed when sysgate started (`>&-`), so that writing to it is
 * an error instead of vanishing: Node then opens /dev/null read-write on fd 1 (a shell redirect to
 * /dev/null opens it write-only). Called by the entry point only.
 */
export function detectClosedStdout(): void {
  try {
    const st = fstatSync(1);
    const devNull = statSync('/dev/null');
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))?.[1];
    stdoutClosed =
      st.isCharacterDevice() &&
      st.rdev === devNull.rdev &&
      flags !== undefined &&
      (parseInt(flags, 8) & 3) === 2;
  } catch {
    stdoutClosed = false;
  }
}

/**
 * Write to standard output. A closed stdout is a usage error; a write that fails later (a full
 * disk, /dev/full) is reported by the entry point's stdout error handler with {@link writeError}'s
 * exit code, and a reader that went away (EPIPE, `| head`) ends the output quietly.
 */
export function writeStdout(data: string | Uint8Array): void {
  if (stdoutClosed)
    throw new UsageError(
      'standard output is closed; redirect it to a file or use -o FILE',
      'stdout-closed',
    );
  process.stdout.write(data);
}

/** Print a line to stdout. */
export function out(text = ''): void {
  writeStdout(text.endsWith('\n') ? text : text + '\n');
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
