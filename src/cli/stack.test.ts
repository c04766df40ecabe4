import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { mapStackTrace } from './stack.js';

describe('mapStackTrace', () => {
  test('frames in a bundled chunk name the original file, line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysgate-stack-'));
    const src = join(dir, 'thrower.ts');
    writeFileSync(
      src,
      [
        'export function inner(n: number): number {',
        "  if (n > 0) throw new Error('boom');",
        '  return n;',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'entry.ts'),
      "import { inner } from './thrower.js';\nexport const run = (): number => inner(1);\n",
    );
    // The bundle settings of scripts/bundle-cli.mjs that matter here.
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outdir: join(dir, 'out'),
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
    });
    // A plain node (the test runner maps stacks itself): the trace as the CLI's process sees it.
    const url = pathToFileURL(join(dir, 'out', 'entry.js')).href;
    const stack = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { run } from '${url}'; try { run(); } catch (e) { process.stdout.write(e.stack); }`,
      ],
      { encoding: 'utf8' },
    ).stdout;
    expect(stack).toContain('out/entry.js');
    const mapped = mapStackTrace(stack);
    expect(mapped).toContain(`${src}:2:`);
    expect(mapped).not.toContain('out/entry.js');
    expect(readFileSync(join(dir, 'out', 'entry.js.map'), 'utf8')).toContain('thrower.ts');
    rmSync(dir, { recursive: true, force: true });
  });

  test('frames without a map beside their file are left as they are', () => {
    const stack =
      'Error: x\n    at f (file:///nonexistent/dir/a.js:3:7)\n    at node:internal/x:1:1';
    expect(mapStackTrace(stack)).toBe(stack);
  });
});
