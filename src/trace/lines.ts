/**
 * Line splitting for streamed input: chunks arrive at arbitrary boundaries (even inside a UTF-8
 * sequence when decoded by the caller's stream), lines leave whole. Memory is bounded by the longest line.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Splits a stream of text chunks into lines (without their `\n`). */
export class LineSplitter {
  private rest = '';

  /** Add a chunk; returns the lines it completes. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }

  /** End of input: the last line if it had no newline (a truncated log). */
  end(): string[] {
    const r = this.rest;
    this.rest = '';
    return r === '' ? [] : [r];
  }
}

/**
 * Read a file path, or an already open stream (the CLI passes stdin for `-`), line by line with
 * constant memory, calling `onLine` for each. Invalid UTF-8 is replaced, never fatal.
 */
export async function forEachLine(
  source: string | AsyncIterable<Buffer>,
  onLine: (line: string) => void,
): Promise<void> {
  const stream =
    typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 20 }) : source;
  const decoder = new StringDecoder('utf8');
  const splitter = new LineSplitter();
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const l of splitter.push(decoder.write(chunk))) onLine(l);
  }
  for (const l of splitter.push(decoder.end())) onLine(l);
  for (const l of splitter.end()) onLine(l);
}
