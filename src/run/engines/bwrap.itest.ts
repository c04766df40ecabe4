import { afterEach, describe, expect, test } from 'vitest';
import { hasTool } from '../../../test/oracle/kernel.js';
import { SANDBOX_ENV } from '../rootfs.js';
import { runBwrap } from './bwrap.js';

const enabled = process.env.CI === 'true' || hasTool('bwrap');
const SECRET = 'SYSGATE_TEST_SECRET_TOKEN';

describe.skipIf(!enabled)('bwrap sandbox environment', () => {
  afterEach(() => {
    Reflect.deleteProperty(process.env, SECRET);
  });

  test("regression: none of the caller's variables reach the workload, only SANDBOX_ENV", async () => {
    process.env[SECRET] = 'hunter2';
    const r = await runBwrap({ argv: ['/usr/bin/env'], timeoutMs: 60_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('hunter2');
    const seen = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.slice(0, l.indexOf('=')))
      // bwrap itself sets PWD to the sandbox's working directory.
      .filter((name) => name !== 'PWD')
      .sort();
    expect(seen).toEqual(SANDBOX_ENV.map(([name]) => name).sort());
  });
});
