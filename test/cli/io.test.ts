import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeError, writeOutput } from '../../src/cli/io.js';
import { RuntimeError, UsageError } from '../../src/document/errors.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'sysgate-io-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('writeOutput', () => {
  test('replaces a regular file atomically and leaves no temp file', () => {
    const f = path.join(tmp, 'out.json');
    writeFileSync(f, 'old');
    writeOutput(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(tmp)).toEqual(['out.json']);
  });

  test('a failed write throws and creates nothing', () => {
    const target = path.join(tmp, 'missing-dir', 'out.json');
    expect(() => {
      writeOutput(target, 'new');
    }).toThrow();
    expect(readdirSync(tmp)).toEqual(['out.json']);
  });

  test('writes a device in place instead of replacing it (/dev/null stays a device)', () => {
    writeOutput('/dev/null', 'discarded');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  test('keeps the mode and owner of the file it replaces', () => {
    const f = path.join(tmp, 'private.json');
    writeFileSync(f, 'old');
    chmodSync(f, 0o600);
    const root = process.getuid?.() === 0;
    if (root) chownSync(f, 1000, 1000);
    writeOutput(f, 'new');
    const st = statSync(f);
    expect(st.mode & 0o7777).toBe(0o600);
    if (root) expect([st.uid, st.gid]).toEqual([1000, 1000]);
    expect(readFileSync(f, 'utf8')).toBe('new');
  });

  test('writes through a symlink: the link stays, its target changes', () => {
    const target = path.join(tmp, 'target.json');
    const link = path.join(tmp, 'link.json');
    writeFileSync(target, 'old');
    symlinkSync('target.json', link);
    writeOutput(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('target.json');
    expect(readFileSync(target, 'utf8')).toBe('new');
  });

  test.each([
    ['ENOENT', 2],
    ['ENOTDIR', 2],
    ['ENAMETOOLONG', 2],
    ['EROFS', 2],
    ['EPERM', 2],
    ['EACCES', 2],
    ['ENOSPC', 3],
    ['EIO', 3],
  ] as const)('%s is a clear error (exit %i), not an internal one', (code, exit) => {
    const e = Object.assign(new Error(`${code}: some reason, open '/x'`), { code });
    const mapped = writeError('/x', e);
    expect(mapped).toBeInstanceOf(exit === 2 ? UsageError : RuntimeError);
    expect(mapped.message).toBe(`cannot write /x: some reason (${code})`);
  });

  test('a file too long for its name is refused with exit 2 by the CLI', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'convert',
        '--to',
        'docker',
        'examples/docker-default.json',
        '-o',
        path.join(tmp, 'x'.repeat(300)),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('(ENAMETOOLONG)');
  });

  test('stdout on /dev/full fails with exit 3; a closed stdout with exit 2', () => {
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'syscalls', '--arch', 'x86_64', 'read'];
    const full = spawnSync('sh', ['-c', '"$0" "$@" >/dev/full', process.execPath, ...args], {
      encoding: 'utf8',
    });
    expect(full.status).toBe(3);
    expect(full.stderr).toContain('cannot write standard output');
    const closed = spawnSync('sh', ['-c', '"$0" "$@" >&-', process.execPath, ...args], {
      encoding: 'utf8',
    });
    expect(closed.status).toBe(2);
    expect(closed.stderr).toContain('standard output is closed');
    const devNull = spawnSync('sh', ['-c', '"$0" "$@" >/dev/null', process.execPath, ...args], {
      encoding: 'utf8',
    });
    expect(devNull.status).toBe(0);
  });

  test('SIGINT or SIGTERM during a large write leaves no temp file', async () => {
    const dir = mkdtempSync(path.join(tmp, 'sig-'));
    // One write per turn of the event loop, as the CLI does (a command writes, then returns).
    const script = `
      import { writeOutput } from './src/cli/io.ts';
      const data = Buffer.alloc(64 << 20, 120);
      for (let i = 0; ; i++) {
        writeOutput(process.argv[1] + '/out' + (i % 3), data);
        await new Promise((resolve) => setImmediate(resolve));
      }
    `;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const delay of [10, 40, 70, 100]) {
        rmSync(path.join(dir, 'out0'), { force: true });
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', '--input-type=module', '-e', script, dir],
          { stdio: 'ignore' },
        );
        const exited = new Promise<NodeJS.Signals | null>((resolve) => {
          child.on('exit', (_code, sig) => {
            resolve(sig);
          });
        });
        // Signal once the writes have begun (the first file exists), at several points of a write.
        const deadline = Date.now() + 30_000;
        while (!existsSync(path.join(dir, 'out0')) && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.kill(signal);
        const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
        expect(await exited).toBe(signal);
        clearTimeout(guard);
        expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      }
    }
  });
});
