/**
 * Escape tests: `sysgate run` under every engine (bwrap, runc, crun, docker) and permissive
 * profiles (Docker's default, and one allowing every syscall, mount and ptrace included) runs
 * test/fixtures/escape/attempts.py, which tries to reach the host: its Docker socket and other unix
 * sockets, abstract sockets, TCP listeners on loopback and on the host's address, marker files
 * outside the binds and in a masked directory, /root, /etc/shadow and SSH host keys, a remount
 * read-write then a write, the same from a fresh user namespace, escape-grade capabilities, ptrace
 * of a host process, mknod of the host's disk, open_by_handle_at, core_pattern, sysrq-trigger,
 * uevent_helper and a chroot breakout. Every listener and marker holds a random token; an attempt
 * counts only when it sees the token (or a host write lands). Each must find nothing. A control run
 * of the same script on the host proves the attempts can find what they look for. Runs under
 * CI=true and wherever the engine is installed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';
import { ENGINE_NAMES, type EngineName } from '../../src/run/probe.js';

const root = resolve(import.meta.dirname, '../..');
const attemptsDir = join(root, 'test/fixtures/escape');
const ENGINES: readonly EngineName[] = ENGINE_NAMES;
const PROFILES = [
  join(root, 'examples/docker-default.json'),
  join(attemptsDir, 'allow-all.json'),
] as const;

/** Every attempt the script makes (one more per planted SSH host key). */
const ATTEMPTS = [
  'docker-socket',
  'host-unix-socket',
  'abstract-unix-socket',
  'tcp-loopback',
  'tcp-host-address',
  'host-marker-files',
  'host-root-home',
  'etc-shadow',
  'etc-gshadow',
  'remount-rw-and-write',
  'userns-remount-and-write',
  'capabilities',
  'ptrace-host-process',
  'mknod-host-disk',
  'open-by-handle',
  'core-pattern',
  'sysrq-trigger',
  'uevent-helper',
  'chroot-breakout',
];

interface Attempt {
  readonly name: string;
  readonly escaped: boolean;
  readonly detail: string;
}

/** What the host prepares: listeners, marker files and a process, all carrying `token`. */
interface HostBait {
  readonly token: string;
  readonly args: Record<string, unknown> & { readonly sshHostKeys: readonly string[] };
  readonly writeName: string;
  readonly cleanup: () => Promise<void>;
}

/** The host's first non-loopback IPv4 address (127.0.0.1 when there is none). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** The first block device of /proc/partitions, as [major, minor]. */
function firstBlockDevice(): [number, number] {
  const line = readFileSync('/proc/partitions', 'utf8')
    .split('\n')
    .slice(2)
    .find((l) => l.trim() !== '');
  const [major, minor] = (line ?? '').trim().split(/\s+/).map(Number);
  return [major ?? 0, minor ?? 0];
}

/** A server that greets every client with `token`. */
function listen(token: string, where: { path: string } | { port: number; host: string }) {
  return new Promise<Server>((done, fail) => {
    const s = createServer((c) => {
      c.on('error', () => undefined);
      c.end(`${token}\n`);
    });
    s.on('error', fail);
    s.listen(where, () => {
      done(s);
    });
  });
}

async function plantBait(): Promise<HostBait> {
  const token = `sysgate-escape-${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-escape-'));
  const servers: Server[] = [];
  const files: string[] = [];
  const plant = (path: string): string => {
    writeFileSync(path, `${token}\n`);
    files.push(path);
    return path;
  };
  const unixSockets = [join(dir, 'host.sock'), `/run/${token}.sock`, `/var/tmp/${token}.sock`];
  for (const path of unixSockets) servers.push(await listen(token, { path }));
  servers.push(await listen(token, { path: `\0${token}` }));
  const tcp = await listen(token, { port: 0, host: '0.0.0.0' });
  servers.push(tcp);
  const address = tcp.address();
  const tcpPort = typeof address === 'object' && address !== null ? address.port : 0;
  // Directories made for the bait (the first one mkdir created, removed afterwards).
  const made: string[] = [];
  const ensureDir = (d: string): void => {
    const first = mkdirSync(d, { recursive: true });
    if (first !== undefined) made.push(first);
  };
  // A marker in a masked directory (/etc/ssl/private) proves the directory masks are in force.
  ensureDir('/etc/ssl/private');
  const markerFiles = [
    `/root/${token}`,
    `/var/tmp/${token}`,
    `/run/${token}`,
    `/etc/ssl/private/${token}`,
    join(dir, 'marker'),
  ];
  markerFiles.forEach(plant);
  // A planted "SSH host key" proves the *_key mask is in force.
  const sshDir = '/etc/ssh';
  ensureDir(sshDir);
  const sshKey = plant(join(sshDir, `ssh_host_${token.replaceAll('-', '_')}_key`));
  const sshHostKeys = readdirSync(sshDir)
    .filter((n) => n.endsWith('_key'))
    .map((n) => join(sshDir, n));
  const tag = `${token}-ptrace-me`;
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)', tag], {
    stdio: 'ignore',
  });
  const writeName = `${token}-written`;
  return {
    token,
    writeName,
    args: {
      token,
      unixSockets,
      abstractSocket: token,
      tcpPort,
      hostAddress: hostAddress(),
      markerFiles,
      rootMarkerName: token,
      sshHostKeys,
      writeName,
      hostPid: sleeper.pid,
      hostProcessTagHex: Buffer.from(tag).toString('hex'),
      blockDevice: firstBlockDevice(),
      noCapabilities: false,
    },
    cleanup: async () => {
      sleeper.kill('SIGKILL');
      await Promise.all(
        servers.map(
          (s) =>
            new Promise((done) => {
              s.close(done);
            }),
        ),
      );
      for (const f of [...files, sshKey]) rmSync(f, { force: true });
      for (const d of made) rmSync(d, { recursive: true, force: true });
      for (const d of ['/', '/usr', '/etc']) rmSync(join(d, writeName), { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a command without blocking the event loop (the bait servers must answer meanwhile). */
function runAsync(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => {
      done({ code, stdout, stderr });
    });
  });
}

/** The attempts' results from the script's output; fails unless the script ran to its end. */
function parseAttempts(stdout: string, stderr: string): Attempt[] {
  const lines = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Attempt | { done: true });
  expect(lines.at(-1), `the attempts did not finish:\n${stdout}\n${stderr}`).toEqual({
    done: true,
  });
  return lines.filter((l): l is Attempt => 'name' in l);
}

/** Totals per engine, printed for docs/reliability.md. */
const totals = new Map<string, { attempts: number; escapes: number }>();

describe('escape attempts', () => {
  let bait: HostBait;
  let cwd: string;

  beforeAll(async () => {
    bait = await plantBait();
    cwd = mkdtempSync(join(tmpdir(), 'sysgate-escape-cwd-'));
  });

  afterAll(async () => {
    await bait.cleanup();
    rmSync(cwd, { recursive: true, force: true });
    for (const [k, v] of totals)
      console.log(`escape: ${k}: ${v.attempts} attempts, ${v.escapes} escapes`);
  });

  test('control: on the host itself the attempts find the host', async () => {
    const r = await runAsync(
      'python3',
      [join(attemptsDir, 'attempts.py'), JSON.stringify(bait.args)],
      cwd,
    );
    const found = parseAttempts(r.stdout, r.stderr)
      .filter((a) => a.escaped)
      .map((a) => a.name);
    expect(found).toEqual(
      expect.arrayContaining([
        'docker-socket',
        'host-unix-socket',
        'abstract-unix-socket',
        'tcp-loopback',
        'tcp-host-address',
        'host-marker-files',
        'host-root-home',
        'etc-shadow',
        'remount-rw-and-write',
        'capabilities',
        'ptrace-host-process',
        'open-by-handle',
        'core-pattern',
        'chroot-breakout',
      ]),
    );
    for (const d of ['/', '/usr', '/etc']) rmSync(join(d, bait.writeName), { force: true });
  });

  describe.each(ENGINES)('%s', (engine) => {
    const enabled = process.env.CI === 'true' || hasTool(engine);

    test.skipIf(!enabled).each(PROFILES)('finds nothing under %s', async (profile) => {
      const args = { ...bait.args, noCapabilities: engine === 'bwrap' };
      const r = await runAsync(
        join(root, 'node_modules/.bin/tsx'),
        [
          join(root, 'src/cli/main.ts'),
          'run',
          '--engine',
          engine,
          '--profile',
          profile,
          '--bind',
          `${attemptsDir}:/escape`,
          '--',
          'python3',
          '/escape/attempts.py',
          JSON.stringify(args),
        ],
        cwd,
      );
      const attempts = parseAttempts(r.stdout, r.stderr);
      expect(attempts.map((a) => a.name)).toEqual(
        expect.arrayContaining([...ATTEMPTS, ...args.sshHostKeys.map((k) => `ssh-host-key ${k}`)]),
      );
      const escapes = attempts.filter((a) => a.escaped);
      const t = totals.get(engine) ?? { attempts: 0, escapes: 0 };
      totals.set(engine, {
        attempts: t.attempts + attempts.length,
        escapes: t.escapes + escapes.length,
      });
      expect(escapes).toEqual([]);
      for (const d of ['/', '/usr', '/etc'])
        expect(existsSync(join(d, bait.writeName))).toBe(false);
      expect(r.code).toBe(0);
    });
  });
});
