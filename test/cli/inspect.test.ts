/**
 * `sysgate inspect` on a live container started with the workspace profile: mode `filter`, one filter,
 * and the filter dumped from the kernel decides every probe of the workspace suite exactly like
 * `sysgate compile` of the same profile. Runs under CI=true (failing without Docker) and wherever
 * dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { archInfo } from '../../src/arch/arches.js';
import { decodeProgram } from '../../src/bpf/instruction.js';
import { execute } from '../../src/bpf/emulate.js';
import { dumpFilters } from '../../src/diagnose/inspect.js';
import { startDocker } from '../../src/run/engines/docker.js';
import { resolveProbe } from '../../src/suite/suite-run.js';
import { parseSuite } from '../../src/suite/suite.js';
import { ensureProber, hasTool } from '../oracle/kernel.js';
import { runCli } from './run-cli.js';

const root = resolve(import.meta.dirname, '../..');
const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;
const profileFile = join(root, 'examples/workspace-profile.json');

describe.skipIf(!enabled)('inspect a container', () => {
  beforeAll(() => {
    ensureProber();
  });

  test('mode filter, and the dumped filter decides like sysgate compile on every suite probe', async () => {
    const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as object;
    // `cat` on an open stdin blocks in read(2), which the workspace profile allows.
    const c = await startDocker({ argv: ['cat'], seccomp: profile, extraArgs: ['-i'] });
    try {
      const r = await runCli(['inspect', c.id, '--json']);
      expect(r.code).toBe(0);
      const info = JSON.parse(r.stdout) as {
        pid: number;
        seccomp: {
          mode: string;
          filters: number;
          loaded?: { length: number; defaultAction: string }[];
        };
        container: { profile: string; privileged: boolean };
      };
      expect(info.seccomp.mode).toBe('filter');
      expect(info.seccomp.filters).toBe(1);
      expect(info.pid).toBe(c.pid);
      expect(info.container).toMatchObject({ profile: 'custom', privileged: false });
      if (process.getuid?.() === 0)
        expect(info.seccomp.loaded?.[0]?.defaultAction).toBe('ERRNO(1) EPERM');

      // The filter runc really loaded, against sysgate's own compile of the same profile (dumping
      // needs root, which CI has).
      if (process.getuid?.() !== 0 && process.env.CI !== 'true') return;
      const [dumped] = await dumpFilters(c.pid);
      if (dumped === undefined) throw new Error('no filter dumped');
      const loaded = decodeProgram(dumped, 'host');
      const compiled = await runCli(['compile', profileFile, '--format', 'json']);
      expect(compiled.code).toBe(0);
      const ours = (
        JSON.parse(compiled.stdout) as {
          instructions: { code: number; jt: number; jf: number; k: number }[];
        }
      ).instructions;
      const suite = parseSuite(
        's',
        readFileSync(join(root, 'examples/workspace-suite.yaml'), 'utf8'),
      );
      const token = archInfo('x86_64').auditArch;
      const rows = suite.probes.map((p) => {
        const probe = resolveProbe(p, 'x86_64');
        const args = [0, 1, 2, 3, 4, 5].map((i) => probe.args?.[i] ?? 0n) as [
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
        ];
        const data = { nr: probe.nr, arch: token, instructionPointer: 0n, args };
        return [
          p.name,
          execute(loaded, data, 'host').ret >>> 0,
          execute(ours, data, 'host').ret >>> 0,
        ];
      });
      expect(rows.length).toBe(suite.probes.length);
      for (const [name, kernel, sysgate] of rows)
        expect({ name, value: sysgate }).toEqual({ name, value: kernel });
      // And the suite's expectations are what the loaded filter says: AF_INET refused, AF_UNIX allowed.
      expect(rows.find((r) => r[0] === 'af-inet-stream')?.[1]).toBe(0x50001);
      expect(rows.find((r) => r[0] === 'af-unix-stream')?.[1]).toBe(0x7fff0000);
    } finally {
      await c.stop();
    }
  });
});

const podman = process.env.CI === 'true' || hasTool('podman');

describe.skipIf(!podman)('inspect a Podman container', () => {
  test('Docker does not know it, Podman does: engine podman, mode filter, one filter', async () => {
    const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as object;
    const c = await startDocker({
      cli: 'podman',
      argv: ['cat'],
      seccomp: profile,
      extraArgs: ['-i'],
    });
    try {
      const r = await runCli(['inspect', c.id, '--json']);
      expect(r.code).toBe(0);
      const info = JSON.parse(r.stdout) as {
        pid: number;
        seccomp: { mode: string; filters: number; loaded?: { defaultAction: string }[] };
        container: { engine: string; profile: string; capDrop: string[] };
      };
      expect(info.container).toMatchObject({ engine: 'podman', profile: 'custom' });
      expect(info.pid).toBe(c.pid);
      expect(info.seccomp).toMatchObject({ mode: 'filter', filters: 1 });
      if (process.getuid?.() === 0)
        expect(info.seccomp.loaded?.[0]?.defaultAction).toBe('ERRNO(1) EPERM');
      const text = await runCli(['inspect', c.id, '--no-dump']);
      expect(text.stdout).toMatch(/^podman container /);
    } finally {
      await c.stop();
    }
  });
});

test('inspect of this process reads /proc/self/status', async () => {
  const r = await runCli(['inspect', String(process.pid), '--json', '--no-dump']);
  expect(r.code).toBe(0);
  const status = readFileSync('/proc/self/status', 'utf8');
  const mode = /^Seccomp:\s*(\d)/m.exec(status)?.[1];
  const info = JSON.parse(r.stdout) as { seccomp: { mode: string } };
  expect(info.seccomp.mode).toBe(mode === '0' ? 'disabled' : mode === '1' ? 'strict' : 'filter');
});

test('inspect of a process that does not exist is bad input', async () => {
  const r = await runCli(['inspect', '999999999']);
  expect(r.code).toBe(2);
});
