import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { lineSerial, parseSourceName, SerialGaps, startAuditdFile } from './monitor-sources.js';

describe('SerialGaps', () => {
  test.each([
    ['in order', [1, 2, 3, 4], 0],
    ['one missing', [1, 2, 4, 5], 1],
    ['swapped neighbours', [1, 3, 2, 4], 0],
    ['several records of one event', [1, 1, 1, 2, 2, 3], 0],
    ['a re-read older serial', [10, 11, 12, 5, 13], 0],
    ['a jump past the window', [1, 10_000], 9998],
  ])('%s', (_, serials, lost) => {
    const g = new SerialGaps(4096);
    for (const s of serials) g.see(s);
    g.flush();
    expect(g.lost).toBe(lost);
  });

  test('every serial dropped from a stream reordered within the window is counted, none else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 400 }),
        fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, drops, seed) => {
          const serials = Array.from({ length: n }, (_, i) => 1000 + i);
          // The first serial is the reference point; drop others.
          const kept = serials.filter((_, i) => i === 0 || drops[i] !== true);
          // Reorder neighbours within a distance of 8.
          let x = seed;
          for (let i = 1; i + 1 < kept.length; i++) {
            x = (x * 1103515245 + 12345) % 2147483648;
            if (x % 3 === 0) {
              const j = Math.min(kept.length - 1, i + (x % 8));
              const a = kept[i] ?? 0;
              kept[i] = kept[j] ?? 0;
              kept[j] = a;
            }
          }
          const g = new SerialGaps(64);
          for (const s of kept) g.see(s);
          // Serials above the highest kept one were never known to exist.
          const max = Math.max(...kept);
          const dropped = serials.filter((s) => s < max && !kept.includes(s)).length;
          g.flush();
          expect(g.lost).toBe(dropped);
        },
      ),
    );
  });
});

test.each([
  ['type=1326 msg=audit(1796590451.506:42194): pid=1', 42194],
  ['6,1234,5678,-;audit: type=1326 audit(1796590451.506:7): pid=1', 7],
  ['no stamp', undefined],
])('lineSerial(%s) = %s', (line, want) => {
  expect(lineSerial(line)).toBe(want);
});

test.each([
  ['auto', 'auto'],
  ['netlink', 'netlink'],
  ['kmsg', 'kmsg'],
])('parseSourceName(%s)', (text, want) => {
  expect(parseSourceName(text)).toBe(want);
});

test('parseSourceName refuses other names', () => {
  expect(() => parseSourceName('dmesg')).toThrow(/--source must be auto, netlink, auditd/);
});

const rec = (serial: number): string =>
  `type=SECCOMP msg=audit(1796590451.506:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=9 comm="app" exe="/usr/bin/app" sig=0 arch=c000003e syscall=110 compat=0 ip=0x1 code=0x7ffc0000\n`;
const other = (serial: number): string =>
  `type=SYSCALL msg=audit(1796590451.506:${serial}): arch=c000003e syscall=59 success=yes\n`;

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe('auditd file source', () => {
  test('follows rotation (rename + new file, and a file rotated away before it was read)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-mon-auditd-'));
    const log = join(dir, 'audit.log');
    writeFileSync(log, rec(1)); // before the start: skipped without fromStart
    const lines: string[] = [];
    let lost = 0;
    const src = startAuditdFile(
      { line: (l) => lines.push(l), lost: (n) => (lost += n) },
      { auditLog: log, pollMs: 5 },
    );
    appendFileSync(log, rec(2) + other(3) + rec(4));
    await until(() => lines.length === 2);
    // Rotation: the writer renames and opens a new file.
    appendFileSync(log, rec(5));
    renameSync(log, `${log}.1`);
    writeFileSync(log, rec(6));
    await until(() => lines.length === 4);
    // Two rotations between two polls: the file in between (audit.log.1 now) is read too, the older
    // rotated files (read by another run) are not.
    await src.stop();
    await new Promise((r) => setTimeout(r, 200));
    const src2 = startAuditdFile(
      { line: (l) => lines.push(l), lost: (n) => (lost += n) },
      { auditLog: log, pollMs: 100_000, fromStart: true },
    );
    expect(lines.map((l) => lineSerial(l))).toEqual([2, 4, 5, 6, 6]);
    appendFileSync(log, rec(7));
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, rec(8));
    renameSync(`${log}.2`, `${log}.3`);
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, rec(9));
    await src2.stop();
    expect(lines.map((l) => lineSerial(l))).toEqual([2, 4, 5, 6, 6, 7, 8, 9]);
    expect(lost).toBe(0);
  });

  test('a gap in the serials is counted as lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-mon-auditd-'));
    const log = join(dir, 'audit.log');
    writeFileSync(log, '');
    let lost = 0;
    const lines: string[] = [];
    const src = startAuditdFile(
      { line: (l) => lines.push(l), lost: (n) => (lost += n) },
      { auditLog: log, pollMs: 5 },
    );
    appendFileSync(log, rec(1) + rec(2) + other(5) + rec(6));
    await until(() => lines.length === 3);
    await src.stop();
    expect(lost).toBe(2);
  });

  test('a missing log is a runtime error', () => {
    expect(() =>
      startAuditdFile(
        { line: () => undefined, lost: () => undefined },
        { auditLog: '/nonexistent/audit.log' },
      ),
    ).toThrow(/no auditd log/);
  });
});
