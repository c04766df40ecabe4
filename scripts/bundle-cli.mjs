// Bundles the sysgate CLI (src/cli/main.ts and everything it imports, dependencies included) into
// dist/bin/ for the package's `bin`: one entry file plus chunks that each command imports only when it
// runs (src/cli/commands/index.ts loads command modules lazily), with source maps so that an internal
// error's stack trace names the src/ files. The library entry (dist/index.js) stays tsc's output.
// Run by scripts/ensure.mjs, `npm run build` and `npm pack` (prepack).
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { sysgate: join(root, 'src/cli/main.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // jsonc-parser's `main` is a UMD build that requires its own files at run time: take its ESM build.
  mainFields: ['module', 'main'],
  target: 'node20',
  // Dependencies that are CommonJS (commander, yaml) require Node's built-ins.
  banner: {
    js: "import { createRequire as __sysgateCreateRequire } from 'node:module'; const require = __sysgateCreateRequire(import.meta.url);",
  },
  outdir,
  chunkNames: 'chunk-[hash]',
  // Every output file sits two folders below the package root, as the modules under dist/ do: the
  // paths they resolve from their own location (native/, package.json) stay right.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync(join(outdir, 'sysgate.js'), 0o755);
