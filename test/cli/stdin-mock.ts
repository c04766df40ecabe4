import type * as fs from 'node:fs';

/**
 * `node:fs` with fd 0 served from `stdin.text`, for CLI tests of `-` (readInput('-') reads stdin
 * with readFileSync(0)). Use from a test file as
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
  return { ...actual, readFileSync, default: { ...actual, readFileSync } } as typeof fs;
}
