/**
 * A profile reaches every engine exactly: an argument rule on `personality(2^64-1)` (a value no
 * JavaScript number holds) is decided by the real stack under bwrap, runc, crun and docker, through
 * `sysgate run` as a user starts it, and Docker reads the profile file byte for byte. Before, the
 * value went through `Number()` and became 18446744073709552000, which Docker and runc refused.
 * Runs under CI=true and wherever the engine is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hostArch, syscallNumber } from '../../src/arch/index.js';
import { loadPolicy } from '../../src/cli/host.js';
import { hasTool } from '../oracle/kernel.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'exact-values-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** ENOMSG: an errno nothing else here returns. */
const ERRNO = 42;
const PROFILE = join(scratch, 'max-u64.json');
writeFileSync(
  PROFILE,
  `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {
      "names": ["personality"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": ${ERRNO},
      "args": [{ "index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ" }]
    }
  ]
}
`,
);

const nr = syscallNumber(hostArch(), 'personality');
/** personality(2^64-1), then personality(0xffffffff) (which only queries): return value and errno. */
const SCRIPT = `import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
for v in (2**64 - 1, 0xffffffff):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(${nr}), ctypes.c_ulong(v))
    print(r, ctypes.get_errno())
`;

test('Docker reads the profile file byte for byte', () => {
  expect(loadPolicy(PROFILE, {}).document).toBe(readFileSync(PROFILE, 'utf8'));
});

describe.each(['bwrap', 'runc', 'crun', 'docker'])('%s', (engine) => {
  const on = process.env.CI === 'true' || hasTool(engine);

  test.skipIf(!on)('decides on the whole 64-bit value 2^64-1', () => {
    const r = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      [
        join(root, 'src/cli/main.ts'),
        ...['run', '--engine', engine, '--profile', PROFILE, '--no-cwd', '--'],
        ...['python3', '-c', SCRIPT],
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`-1 ${ERRNO}\n0 0\n`);
    expect(r.status).toBe(0);
  });
});
