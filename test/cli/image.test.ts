/** `sysgate image`: builds sysgate's tiny image when Docker answers (CI=true: must). */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { runCli } from './run-cli.js';

const enabled =
  process.env.CI === 'true' ||
  spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;

test.skipIf(!enabled)(
  'image: the default tag exists afterwards, with the mounts it needs',
  async () => {
    const r = await runCli(['image', '--json']);
    expect(r.code).toBe(0);
    const { image, runArgs } = JSON.parse(r.stdout) as { image: string; runArgs: string[] };
    expect(image).toBe('sysgate/base:local');
    expect(runArgs).toEqual(expect.arrayContaining(['-v', '/usr:/usr:ro', '/etc:/etc:ro']));
    const inspect = spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
    expect(inspect.status).toBe(0);
    // The image runs a host binary through the mounts.
    const run = spawnSync(
      'docker',
      ['run', '--rm', '--network', 'none', ...runArgs, image, 'sh', '-c', 'echo up'],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toBe('up\n');
  },
);
