import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { RuntimeError } from '../document/errors.js';
import { execCollect, guardSignals, receivedSignal, spawnProcess } from './process.js';

/** Whether a process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('execCollect', () => {
  test('collects stdout, stderr, the exit status and stdin', async () => {
    const r = await execCollect('sh', ['-c', 'cat; echo err >&2; exit 3'], { stdin: 'in' });
    expect(r).toEqual({
      exitCode: 3,
      signal: null,
      stdout: 'in',
      stderr: 'err\n',
      timedOut: false,
    });
  });

  test("the child's stdout and stderr are pipes, not sockets", async () => {
    const r = await execCollect('sh', ['-c', 'stat -L -c %F /proc/self/fd/1 /proc/self/fd/2']);
    expect(r.stdout).toBe('fifo\nfifo\n');
  });

  test('a program that is not installed is a RuntimeError', async () => {
    await expect(execCollect('sysgate-no-such-program', [])).rejects.toBeInstanceOf(RuntimeError);
  });

  test('a timeout kills the whole process group, not only the first process', async () => {
    const r = await execCollect('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  test('keeps only maxOutputBytes of each stream and says how much it dropped', async () => {
    const r = await execCollect(
      'sh',
      ['-c', 'head -c 100000 /dev/zero; head -c 10 /dev/zero >&2'],
      {
        maxOutputBytes: 1000,
      },
    );
    expect(r.stdout.length).toBe(1000);
    expect(r.stderr.length).toBe(10);
    expect(r.truncated).toEqual({ stdout: 99_000, stderr: 0 });
    expect(r.exitCode).toBe(0);
  });

  test('a workload printing over 512 MiB neither crashes the collector nor leaves files', async () => {
    // A private TMPDIR: other sysgate runs on the machine cannot blur what this one leaves.
    const tmp = mkdtempSync(join(tmpdir(), 'process-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const r = await execCollect('head', ['-c', String(600 * 1024 * 1024), '/dev/zero']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBe(16 * 1024 * 1024);
      expect(r.truncated?.stdout).toBe((600 - 16) * 1024 * 1024);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('signal forwarding', () => {
  test('a signal sysgate receives reaches the workload, which may end on its own', async () => {
    const child = spawnProcess('sh', ['-c', 'trap "exit 7" TERM; echo ready; sleep 30 & wait'], {
      forwardSignals: true,
      killGraceMs: 5000,
    });
    await new Promise((r) => setTimeout(r, 300));
    process.emit('SIGTERM', 'SIGTERM');
    const r = await child.done;
    expect(r.exitCode).toBe(7);
    expect(r.interrupted).toBe('SIGTERM');
  });

  test('a workload that ignores it is killed after the grace time', async () => {
    const child = spawnProcess('sh', ['-c', 'trap "" INT; sleep 30'], {
      forwardSignals: true,
      killGraceMs: 300,
    });
    await new Promise((r) => setTimeout(r, 200));
    process.emit('SIGINT', 'SIGINT');
    const r = await child.done;
    expect(r.signal).toBe('SIGKILL');
    expect(r.interrupted).toBe('SIGINT');
  });

  test('guardSignals holds the signal off for cleanup and reports it', async () => {
    const seen = await guardSignals(async () => {
      process.emit('SIGHUP', 'SIGHUP');
      await new Promise((r) => setTimeout(r, 10));
      return receivedSignal();
    });
    expect(seen).toBe('SIGHUP');
    expect(receivedSignal()).toBeUndefined();
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});
