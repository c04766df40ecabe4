/**
 * The container surface of runc and crun bundles against Docker's: `sysgate run` under Docker's
 * default profile runs test/fixtures/surface/surface.py, which prints /dev, /dev/pts, /dev/mqueue,
 * /dev/shm, /proc and /sys as mounted, what reading each of Docker's masked paths gives and how each
 * read-only path is mounted, whether root can write under /proc/sys, then starts a `multiprocessing.Pool` (POSIX semaphores in /dev/shm) and
 * opens a pseudo-terminal. runc's output must equal Docker's line for line; crun's too, but for two
 * things crun 1.8 does itself (it sizes a masking tmpfs `size=0k`, and remounts a read-only path
 * without nosuid, nodev and noexec), and the paths later moby masks, which Docker 20.10 leaves
 * visible and sysgate's bundles mask. Runs under CI=true and wherever the engines are installed.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  DOCKER_MASKED_PATHS,
  DOCKER_READONLY_PATHS,
  MOBY_LATER_MASKED_PATHS,
} from '../../src/kb/index.js';
import { hasTool } from '../oracle/kernel.js';

const root = resolve(import.meta.dirname, '../..');
const main = join(root, 'src/cli/main.ts');
const profile = join(root, 'examples/docker-default.json');
const script = join(root, 'test/fixtures/surface');

/** Whether the engine's tests run here. */
function enabled(engine: string): boolean {
  return process.env.CI === 'true' || hasTool(engine);
}

/** The script's report under `engine` (the command must succeed). */
function surface(engine: string): string {
  const r = spawnSync(
    join(root, 'node_modules/.bin/tsx'),
    [
      main,
      ...['run', '--engine', engine, '--profile', profile, '--'],
      ...['python3', 'surface.py', DOCKER_MASKED_PATHS.join(','), DOCKER_READONLY_PATHS.join(',')],
      MOBY_LATER_MASKED_PATHS.join(','),
    ],
    { encoding: 'utf8', cwd: script, timeout: 120_000 },
  );
  expect(r.stderr).not.toContain('Error');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The report without the lines of the paths later moby masks (Docker 20.10 does not). */
function withoutLater(report: string): string {
  return report
    .split('\n')
    .filter((line) => !line.startsWith('later '))
    .join('\n');
}

/** The report's lines for the masked paths (`later` ones with `later`), each showing no content. */
function expectMasked(report: string, paths: readonly string[], prefix = ''): void {
  for (const p of paths) {
    const line = report.split('\n').find((l) => l.startsWith(`${prefix}${p} `));
    expect(line, p).toMatch(/ (?:absent|file 0 bytes|dir tmpfs ro .*entries 0)$/);
  }
}

/** crun's own ways, which Docker run with crun would show too. */
function crunToRunc(report: string): string {
  return report
    .split('\n')
    .map((line) => {
      const path = line.split(' ')[0] ?? '';
      if (DOCKER_MASKED_PATHS.includes(path)) return line.replace(' size=0k', '');
      if (DOCKER_READONLY_PATHS.includes(path) && line.endsWith(' proc ro'))
        return `${line} nosuid nodev noexec`;
      return line;
    })
    .join('\n');
}

describe.skipIf(!enabled('docker'))("runc and crun bundles give Docker's container surface", () => {
  let docker = '';
  beforeAll(() => {
    docker = surface('docker');
  });

  test("Docker's own surface holds what the workloads need", () => {
    expect(docker).toMatch(/^\/dev\/shm tmpfs nosuid nodev noexec size=65536k$/m);
    expect(docker).toMatch(/^\/dev\/pts devpts /m);
    expect(docker).toMatch(/^\/dev\/mqueue mqueue /m);
    expect(docker).toMatch(/^\/proc\/sys proc ro /m);
    expect(docker).toMatch(/^\/proc\/kcore (?:absent|file 0 bytes)$/m);
    expectMasked(docker, DOCKER_MASKED_PATHS);
    expect(docker).toContain('write /proc/sys/kernel/hostname error 30\n'); // EROFS
    expect(docker).toContain('pool [1, 2]\nopenpty 2\n');
  });

  test.skipIf(!enabled('runc'))('runc: the same surface, line for line', () => {
    const runc = surface('runc');
    expect(withoutLater(runc)).toBe(withoutLater(docker));
    expectMasked(runc, MOBY_LATER_MASKED_PATHS, 'later ');
  });

  test.skipIf(!enabled('crun'))("crun: the same surface, but for crun's own mount options", () => {
    const crun = crunToRunc(surface('crun'));
    expect(withoutLater(crun)).toBe(withoutLater(docker));
    expectMasked(crun, MOBY_LATER_MASKED_PATHS, 'later ');
  });
});
