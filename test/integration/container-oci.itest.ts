/**
 * runc and crun oracles: an OCI bundle with a small custom `linux.seccomp` really loads a filter that,
 * dumped from the host and emulated, decides every probe as the container's processes experience it.
 * Runs under CI=true (failing if the runtime is missing) and wherever the runtime is installed.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { ociLoadedFilters } from '../oracle/docker.js';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import {
  AF_UNIX_ONLY_PROFILE,
  CONTAINER_PROBES,
  checkContainerOracle,
  emulateStack,
  expectedDecisions,
} from './container.testkit.js';
import { runOci, startOci, type OciRuntime } from '../../src/run/engines/oci.js';
import { proberPath } from '../../src/run/native.js';
import { formatOutcome } from '../../src/run/probe-format.js';
import { runProbes } from '../../src/run/probe.js';

const runtimes: OciRuntime[] = ['runc', 'crun'];

describe.each(runtimes)('%s oracle', (runtime) => {
  const enabled = process.env.CI === 'true' || hasTool(runtime);

  beforeAll(() => {
    if (enabled) ensureProber();
  });

  test.skipIf(!enabled)(
    'dumped filter of a live container = its real decisions (AF_UNIX only)',
    async () => {
      await checkContainerOracle(
        runtime,
        () =>
          startOci({
            runtime,
            argv: ['sleep', 'infinity'],
            seccomp: AF_UNIX_ONLY_PROFILE,
            prober: proberPath(),
          }),
        (probes) => runProbes(runtime, undefined, probes),
      );
    },
  );

  test.skipIf(!enabled)(
    'a fresh container running the prober decides like the dumped filter',
    async () => {
      const probes = CONTAINER_PROBES.map((c) => c.probe);
      const [filters, got] = await Promise.all([
        ociLoadedFilters(runtime, AF_UNIX_ONLY_PROFILE),
        runProbes(runtime, AF_UNIX_ONLY_PROFILE, probes, { fork: false }),
      ]);
      expect(filters).toHaveLength(1);
      const denied = probes.map((p) => (emulateStack(filters, p) & 0xffff0000) !== 0x7fff0000);
      expect(got.map((o, i) => (denied[i] ? formatOutcome(o) : 'allowed'))).toEqual(
        expectedDecisions(runtime),
      );
    },
  );

  test.skipIf(!enabled)('a workload sees the read-only host /usr and no network', async () => {
    const r = await runOci({
      runtime,
      argv: ['sh', '-c', 'touch /usr/x 2>/dev/null; echo $?; grep -c : /proc/net/dev'],
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [touched, interfaces] = r.stdout.split('\n');
    expect(touched).not.toBe('0'); // read-only
    expect(interfaces).toBe('1'); // loopback only
  });
});
