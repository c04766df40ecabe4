import type * as fs from 'node:fs';

/**
 * `node:fs` with fd 0 served from `stdin.text`, for CLI tests of `-` (readInput('-') reads stdin
 * with readSync(0, ...); readFileSync(0) is served too). Use from a test file as
 * `vi.mock('node:fs', async (orig) => (await import('./stdin-mock.js')).fsWithStdin(await orig(), stdin))`.
 */
export function fsWithStdin(actual: typeof fs, stdin: { text: string }): typeof fs {
  const readFileSync = ((file: unknown, opts?: unknown): unknown =>
    file === 0
      ? opts === undefined
        ? Buffer.from(stdin.text)
        : stdin.text
      : (actual.readFileSync as (f: unknown, o?: unknown) => unknown)(
          file,
          opts,
        )) as typeof actual.readFileSync;
  let served = 0;
  let servedText: string | undefined;
  const readSync = ((fd: number, buffer: Uint8Array, ...rest: unknown[]): number => {
    if (fd !== 0) return (actual.readSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    if (servedText !== stdin.text) {
      // A new test's stdin: serve it from the start.
      servedText = stdin.text;
      served = 0;
    }
    const bytes = Buffer.from(stdin.text);
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : buffer.length - offset;
    const n = Math.min(length, bytes.length - served);
    bytes.copy(buffer, offset, served, served + n);
    served += n;
    if (n === 0) servedText = undefined;
    return n;
  }) as typeof actual.readSync;
  const patched = { ...actual, readFileSync, readSync };
  return { ...patched, default: patched } as typeof fs;
}
