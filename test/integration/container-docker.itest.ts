/**
 * Docker oracle: a container started with a small custom profile really loads a filter that, dumped
 * from the host and emulated, decides every probe as the container's processes experience it.
 * Runs under CI=true (failing if Docker is missing) and wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, test } from 'vitest';
import { dockerLoadedFilters } from '../oracle/docker.js';
import { ensureProber } from '../oracle/kernel.js';
import {
  AF_UNIX_ONLY_PROFILE,
  CONTAINER_PROBES,
  checkContainerOracle,
  emulateStack,
  expectedDecisions,
} from './container.testkit.js';
import { startDocker } from '../../src/run/engines/docker.js';
import { proberPath } from '../../src/run/native.js';
import { formatOutcome } from '../../src/run/probe-format.js';
import { runProbes } from '../../src/run/probe.js';
import { inspectContainer } from '../../src/diagnose/inspect.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;

describe.skipIf(!enabled)('docker oracle', () => {
  beforeAll(() => {
    ensureProber();
  });

  test('dumped filter of a live container = its real decisions (AF_UNIX only)', async () => {
    await checkContainerOracle(
      'docker',
      () =>
        startDocker({
          argv: ['sleep', 'infinity'],
          seccomp: AF_UNIX_ONLY_PROFILE,
          prober: proberPath(),
        }),
      (probes) => runProbes('docker', 'unconfined', probes),
    );
  });

  test('a fresh container running the prober decides like the dumped filter', async () => {
    const probes = CONTAINER_PROBES.map((c) => c.probe);
    const [filters, got] = await Promise.all([
      dockerLoadedFilters(AF_UNIX_ONLY_PROFILE),
      runProbes('docker', AF_UNIX_ONLY_PROFILE, probes),
    ]);
    expect(filters).toHaveLength(1);
    const denied = probes.map((p) => (emulateStack(filters, p) & 0xffff0000) !== 0x7fff0000);
    expect(got.map((o, i) => (denied[i] ? formatOutcome(o) : 'allowed'))).toEqual(
      expectedDecisions('docker'),
    );
  });

  test('docker inspect shows the profile; Docker default allows AF_INET', async () => {
    const c = await startDocker({ argv: ['sleep', 'infinity'], seccomp: AF_UNIX_ONLY_PROFILE });
    try {
      const info = await inspectContainer(c.id);
      expect(info.running).toBe(true);
      expect(info.pid).toBe(c.pid);
      expect(info.securityOpt.some((s) => s.startsWith('seccomp='))).toBe(true);
    } finally {
      await c.stop();
    }
    const [inet] = await runProbes('docker', undefined, [{ nr: 41, args: [2n, 1n, 0n] }]);
    expect(inet?.kind).toBe('ok');
  });
});
