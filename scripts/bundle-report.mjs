// Bundles the HTML report's "try a syscall" box (src/report/client/try.ts and the compiler it runs)
// into dist/report/try-box.js for the browser. Run by scripts/ensure.mjs and `npm run build`.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/report/try-box.js');
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, 'src/report/client/try.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  // The page never asks for the host's endianness (arch/host.ts); the shim keeps Node out of the bundle.
  alias: { 'node:os': join(root, 'src/report/client/os-shim.ts') },
  outfile: out,
  logLevel: 'warning',
  legalComments: 'none',
});
