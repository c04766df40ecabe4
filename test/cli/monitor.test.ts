import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseListen } from '../../src/cli/commands/monitor.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-monitor-cli-'));

const rec = (serial: number, nr: number, code: string): string =>
  `type=SECCOMP msg=audit(1796590451.${String(serial % 1000).padStart(3, '0')}:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=1 comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=${nr} compat=0 ip=0x1 code=${code}\n`;

const lines = (file: string): { serial: number; syscall: string; action: string }[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { serial: number; syscall: string; action: string })
    : [];

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('sysgate monitor', () => {
  test.each([
    [['--source', 'dmesg'], /--source must be auto, netlink, auditd, journald, kmsg/],
    [['--listen', '9469'], /--listen must be HOST:PORT/],
    [['--metric-prefix', 'bad-prefix'], /--metric-prefix must be a Prometheus metric name/],
    [['--max-series', '0'], /--max-series must be a positive integer/],
  ])('%j: exit 2', async (args, message) => {
    const r = await runCli(['monitor', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('a state file that is not one: exit 2', async () => {
    const st = join(dir, 'bad-state.json');
    writeFileSync(st, '{"last": 3}');
    const r = await runCli(['monitor', '--state', st, '--listen', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a monitor state file/);
  });

  test.each([
    ['127.0.0.1:9469', { host: '127.0.0.1', port: 9469 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['none', undefined],
  ])('parseListen(%s)', (text, want) => {
    expect(parseListen(text)).toEqual(want);
  });

  test('auditd source: JSON lines, SIGTERM stops (exit 0), a restart counts no record twice', async () => {
    const audit = join(dir, 'audit.log');
    const log = join(dir, 'records.jsonl');
    const state = join(dir, 'state.json');
    writeFileSync(audit, rec(1, 110, '0x7ffc0000'));
    const args = [
      'monitor',
      '--source',
      'auditd',
      '--audit-log',
      audit,
      '--listen',
      'none',
      '--no-lookup',
      '--log',
      log,
      '--state',
      state,
      '--from-start',
    ];
    const first = runCli(args);
    await until(() => lines(log).length === 1);
    appendFileSync(audit, rec(2, 165, '0x50000') + rec(3, 110, '0x7ffc0000'));
    await until(() => lines(log).length === 3);
    process.emit('SIGTERM', 'SIGTERM');
    const r1 = await first;
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/monitor: source auditd \(lossless\)/);
    expect(r1.stderr).toMatch(/stopped \(SIGTERM\): 3 records counted, 0 lost at the source/);
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({
      last: { timeMs: 1796590451003, serial: 3 },
    });

    // Restart reading the whole file again: the three are skipped, the new one counted.
    appendFileSync(audit, rec(4, 39, '0x7ffc0000'));
    const second = runCli(args);
    await until(() => lines(log).length === 4);
    process.emit('SIGTERM', 'SIGTERM');
    const r2 = await second;
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/1 records counted, 0 lost at the source, 3 already counted/);
    expect(lines(log).map((l) => [l.serial, l.syscall, l.action])).toEqual([
      [1, 'getppid', 'LOG'],
      [2, 'mount', 'ERRNO'],
      [3, 'getppid', 'LOG'],
      [4, 'getpid', 'LOG'],
    ]);
  });
});
