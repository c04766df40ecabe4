/**
 * Stack traces of internal errors (exit 70) in terms of the src/ files. The CLI runs from a bundle
 * (dist/bin/, see scripts/bundle-cli.mjs) whose frames name chunk files; each chunk has a source map
 * beside it. Node maps frames itself only with --enable-source-maps, which parses every map at start-up
 * (about 15 ms CPU on each run); here the maps are read only when a trace is printed, which is rare.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A frame's location: `file:///...js:LINE:COL` or `/...js:LINE:COL`, in parentheses or not. */
const FRAME = /((?:file:\/\/)?\/[^\s():]+\.m?js):(\d+):(\d+)/g;

/** Source maps read so far (null: the file has none). */
const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function mapFor(file: string): { map: SourceMap; dir: string } | null {
  const known = maps.get(file);
  if (known !== undefined) return known;
  let found: { map: SourceMap; dir: string } | null;
  try {
    const payload = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as SourceMapPayload;
    found = { map: new SourceMap(payload), dir: dirname(file) };
  } catch {
    found = null; // no map beside it: the frame stays as it is
  }
  maps.set(file, found);
  return found;
}

/** `stack` with every frame that has a source map beside its file rewritten to the original file. */
export function mapStackTrace(stack: string): string {
  return stack.replace(FRAME, (whole, url: string, line: string, col: string) => {
    const file = url.startsWith('file://') ? fileURLToPath(url) : url;
    const m = mapFor(file);
    if (m === null) return whole;
    const e = m.map.findEntry(Number(line) - 1, Number(col) - 1) as Partial<{
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }>;
    if (e.originalSource === undefined || e.originalLine === undefined) return whole;
    const source = e.originalSource.startsWith('file://')
      ? fileURLToPath(e.originalSource)
      : resolve(m.dir, e.originalSource);
    return `${source}:${e.originalLine + 1}:${(e.originalColumn ?? 0) + 1}`;
  });
}
