/**
 * Line splitting for streamed input: chunks arrive at arbitrary boundaries (even inside a UTF-8
 * sequence when decoded by the caller's stream), lines leave whole. Time is linear in the input and
 * memory bounded by {@link LOG_MAX_LINE}: a longer line (a corrupt log, a log without newlines) is
 * refused with a {@link LogParseError}, never buffered without end.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LogParseError } from '../document/errors.js';

/**
 * Longest log line read, in characters (16 MiB). strace prints at most `-s` characters per string
 * argument, so its longest lines (an `execve` with a full ARG_MAX of escaped arguments) stay far below.
 */
export const LOG_MAX_LINE = 16 * 1024 * 1024;

/** Splits a stream of text chunks into lines (without their `\n`). */
export class LineSplitter {
  /** The unfinished line, in pieces (joined once, when its newline arrives). */
  private pieces: string[] = [];
  private pendingLength = 0;
  /** Lines returned so far. */
  private lines = 0;

  constructor(
    /** File name for errors (`-` for stdin). */
    private readonly file = '-',
    /** Longest line accepted, in characters. */
    private readonly maxLine = LOG_MAX_LINE,
  ) {}

  /** Add a chunk; returns the lines it completes. Throws `LogParseError` for an over-long line. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.grow(nl - start);
      const piece = chunk.slice(start, nl);
      out.push(this.pieces.length === 0 ? piece : this.pieces.join('') + piece);
      this.pieces = [];
      this.pendingLength = 0;
      this.lines++;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.grow(chunk.length - start);
      this.pieces.push(chunk.slice(start));
      this.pendingLength += chunk.length - start;
    }
    return out;
  }

  /** End of input: the last line if it had no newline (a truncated log). */
  end(): string[] {
    const r = this.pieces.join('');
    this.pieces = [];
    this.pendingLength = 0;
    if (r === '') return [];
    this.lines++;
    return [r];
  }

  private grow(n: number): void {
    if (this.pendingLength + n <= this.maxLine) return;
    throw lineTooLong(this.file, this.lines + 1, this.maxLine);
  }
}

/** The error for line `line` of `file` passing `maxLine` characters (the column is the first one past). */
export function lineTooLong(file: string, line: number, maxLine: number): LogParseError {
  return new LogParseError(
    file,
    line,
    maxLine + 1,
    `line longer than ${maxLine} characters; this is not an strace or audit log (or it is corrupt)`,
    'log-line-too-long',
  );
}

/**
 * Read a file path, or an already open stream (the CLI passes stdin for `-`), line by line with
 * bounded memory, calling `onLine` for each. Invalid UTF-8 is replaced, never fatal. `name` is the
 * file name errors report (default: the path, or `-` for a stream).
 */
export async function forEachLine(
  source: string | AsyncIterable<Buffer>,
  onLine: (line: string) => void,
  name: string = typeof source === 'string' ? source : '-',
): Promise<void> {
  const stream =
    typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter(name);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const l of splitter.push(decoder.write(chunk))) onLine(l);
  }
  for (const l of splitter.push(decoder.end())) onLine(l);
  for (const l of splitter.end()) onLine(l);
}

/** Bytes read from a file per call by {@link forEachChunk}. */
export const READ_CHUNK = 1 << 20;

/**
 * Read a file path, or an already open stream, as byte chunks, calling `onChunk` for each. A file is
 * read into one reused buffer: `onChunk` must not keep the chunk it is given.
 */
export async function forEachChunk(
  source: string | AsyncIterable<Buffer>,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  if (typeof source !== 'string') {
    for await (const chunk of source) onChunk(chunk);
    return;
  }
  const fh = await open(source, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      onChunk(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}
