import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { forEachLine } from './lines.js';
import { bodyFields, parseAuditLine, parseAuditLog, wordStart, type AuditRecord } from './audit.js';

const DIR = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces/seccomp');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const PAYLOAD =
  'auid=4294967295 uid=0 gid=0 ses=4294967295 pid=11900 comm="runc:[2:INIT]" exe="/" sig=0 arch=c000003e syscall=72 compat=0 ip=0x40828e code=0x7ffc0000';

describe('wrappers', () => {
  const expected = {
    pid: 11900,
    comm: 'runc:[2:INIT]',
    exe: '/',
    arch: 0xc000003e,
    syscall: 72,
    code: 0x7ffc0000,
    sig: 0,
  };
  test.each([
    ['netlink', `type=1326 audit(1795453840.569:833): ${PAYLOAD}`],
    ['dmesg', `[ 1009.129640] audit: type=1326 audit(1795453709.697:2): ${PAYLOAD}`],
    ['dmesg --raw', `<5>[ 1165.904779] audit: type=1326 audit(1795453866.473:1027): ${PAYLOAD}`],
    [
      'dmesg -x',
      `kern  :notice: [ 1165.904782] audit: type=1326 audit(1795453866.473:1028): ${PAYLOAD}`,
    ],
    [
      'dmesg -T',
      `[Mon Nov 23 17:11:05 2026] audit: type=1326 audit(1795453866.473:1028): ${PAYLOAD}`,
    ],
    ['/dev/kmsg', `5,409,1165904586,-;audit: type=1326 audit(1795453866.473:1028): ${PAYLOAD}`],
    [
      'journalctl -k',
      `May 28 15:24:32 casper kernel: audit: type=1326 audit(1622229872.180:55): ${PAYLOAD}`,
    ],
    [
      'syslog with thread',
      `Dec 21 15:35:05 host kernel: [26083697.716609][   T55] audit: type=1326 audit(1.2:3): ${PAYLOAD}`,
    ],
    ['journald audit transport', `May 28 15:24:32 casper audit[7645]: SECCOMP ${PAYLOAD}`],
    ['audisp', `audispd[568]: node=host type=SECCOMP msg=audit(1611907092.540:26626): ${PAYLOAD}`],
    ['auditd raw', `node=n1 type=SECCOMP msg=audit(1795453945.321:1190): ${PAYLOAD}`],
    [
      'auditd enriched',
      `type=SECCOMP msg=audit(1795453945.321:1190): ${PAYLOAD}\u001dAUID="unset" UID="root" ARCH=x86_64 SYSCALL=close`,
    ],
    [
      'enriched, separator lost',
      `type=SECCOMP msg=audit(1795453945.321:1190): ${PAYLOAD}AUID="unset" UID="root"`,
    ],
  ])('%s', (_name, line) => {
    const r = parseAuditLine(line, 1);
    expect(r).toMatchObject(expected);
  });

  test('hex-encoded comm and exe, subj forms, (null) exe', () => {
    const r = parseAuditLine(
      'type=1326 audit(1.1:1): auid=1 uid=0 gid=0 ses=1 subj==cri-containerd.apparmor.d (enforce) pid=5 comm=6D7920636F6D6D exe=2F746D702F6D792070726F673332 sig=31 arch=40000003 syscall=4 compat=1 ip=0x8049016 code=0x0',
      1,
    ) as AuditRecord;
    expect(r).toMatchObject({
      comm: 'my comm',
      exe: '/tmp/my prog32',
      subj: 'cri-containerd.apparmor.d (enforce)',
      arch: 0x40000003,
      syscall: 4,
      compat: 1,
      sig: 31,
      code: 0,
    });
    const n = parseAuditLine(
      'type=1326 audit(1.1:1): pid=5 comm="k" exe=(null) sig=0 arch=c000003e syscall=1 compat=0 ip=0x1 code=0x50000',
      1,
    ) as AuditRecord;
    expect(n.exe).toBeUndefined();
  });

  test('ausearch -i: decoded, unquoted values with spaces', () => {
    const r = parseAuditLine(
      'type=SECCOMP msg=audit(11/23/26 17:12:25.321:1194) : auid=unset uid=root gid=root ses=unset pid=7 comm=my comm exe=/tmp/my prog32 sig=SIGSYS arch=i386 syscall=exit compat=1 ip=0x8049030 code=kill',
      1,
    );
    expect(r).toMatchObject({
      comm: 'my comm',
      exe: '/tmp/my prog32',
      archName: 'i386',
      syscallName: 'exit',
      codeName: 'kill',
      serial: 1194,
    });
  });

  test('other lines are not records', () => {
    expect(
      parseAuditLine('type=SYSCALL msg=audit(1.1:1): arch=c000003e syscall=1', 1),
    ).toBeUndefined();
    expect(parseAuditLine('hello', 1)).toBeUndefined();
    expect(parseAuditLine('type=1326 audit(1.1:1): pid=3 comm="x"', 7)).toEqual({
      line: 7,
      message: 'seccomp record without syscall=',
    });
  });
});

describe('real samples', () => {
  test('auditd ENRICHED log and ausearch -i of the same events agree', () => {
    // ausearch decodes arch, hex comm/exe and code itself: an independent reading of the same 22 records.
    const raw = parseAuditLog(read('auditd-enriched-audit.log'));
    const decoded = parseAuditLog(read('ausearch-i.txt'));
    expect(raw.warnings).toEqual([]);
    expect(raw.records).toHaveLength(22);
    expect(decoded.records.map((r) => r.serial)).toEqual(raw.records.map((r) => r.serial));
    const actionName: Record<number, string> = {
      0x80000000: 'kill',
      0: 'kill',
      0x30000: 'trap',
      0x50000: 'errno',
      0x7ff00000: 'trace',
      0x7ffc0000: 'log',
      0x7fc00000: 'user-notify',
    };
    raw.records.forEach((r, i) => {
      const d = decoded.records[i];
      expect({ pid: r.pid, comm: r.comm, exe: r.exe, code: actionName[r.code ?? -1] }).toEqual({
        pid: d?.pid,
        comm: d?.comm,
        exe: d?.exe,
        code: d?.codeName,
      });
    });
  });

  test.each([
    ['netlink-docker-log-all.txt', 306],
    ['dmesg-docker-log-all.txt', 10],
    ['netlink-docker-arch.txt', 10],
    ['dev-kmsg-raw.txt', 11],
  ])('%s has %i records', (f, n) => {
    const r = parseAuditLog(read(f));
    expect(r.warnings).toEqual([]);
    expect(r.records).toHaveLength(n);
  });

  test('i386 records keep their own arch token', () => {
    const r = parseAuditLog(read('netlink-docker-arch.txt')).records;
    expect(r.some((x) => x.arch === 0x40000003 && x.compat === 1)).toBe(true);
  });

  test('arbitrary text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(() => parseAuditLog(`type=1326 audit(1.1:1): ${s}`)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe('field scanning equals the regexes it replaced', () => {
  const FIELD_RE = /(?<=^|\s)(auid|uid|gid|ses|pid|sig|arch|syscall|compat|ip|code)=(\S+)/g;
  const partArb = fc.constantFrom(
    'uid=0',
    'auid=4294967295',
    'pid=',
    'pid=12',
    'xpid=3',
    'sig==9',
    'arch=c000003e',
    'syscall=257',
    'code=0x7ffc0000',
    'comm="a b"',
    'comm=61',
    'exe=(null)',
    'ip=0x1',
    '=5',
    'a',
    ' ',
    '\t',
    '\u00a0',
    '\u2003',
    '\u{1f600}',
    '=',
    'subj==unconfined',
  );
  test('bodyFields and wordStart on generated bodies', () => {
    fc.assert(
      fc.property(fc.array(partArb, { maxLength: 12 }), fc.constantFrom('', ' '), (parts, sep) => {
        const body = parts.join(sep);
        const want = new Map<string, string>();
        for (const f of body.matchAll(FIELD_RE))
          if (f[1] !== undefined && f[2] !== undefined && !want.has(f[1])) want.set(f[1], f[2]);
        expect(bodyFields(body)).toEqual(want);
        for (const key of ['comm=', 'exe='])
          expect(wordStart(body, key)).toBe(new RegExp(`(?<=^|\\s)${key}`).exec(body)?.index ?? -1);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('streamed reading equals the whole-text parse', () => {
  const FILES = [
    'auditd-enriched-audit.log',
    'ausearch-i.txt',
    'dev-kmsg-raw.txt',
    'dmesg-variants.txt',
    'netlink-docker-arch.txt',
    'netlink-converted-to-auditd-raw.log',
  ];
  const pool = FILES.flatMap((f) => read(f).split('\n'));
  const noise = [
    '[ 1.000000] usb 1-1: new device',
    'type=SYSCALL msg=audit(1.1:1): arch=c000003e syscall=1',
    'pid=é ☃',
    '',
  ];
  test('logs mixing record formats and unrelated lines, cut into chunks at any byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...pool), fc.constantFrom(...noise)), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (lines, cuts) => {
          const text = lines.join('\n');
          const bytes = Buffer.from(text, 'utf8');
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...at, bytes.length]
            .slice(1)
            .map((end, i, a) => bytes.subarray(i === 0 ? 0 : a[i - 1], end));
          async function* stream(): AsyncGenerator<Buffer> {
            for (const c of chunks) yield await Promise.resolve(c);
          }
          const got: (AuditRecord | { line: number; message: string })[] = [];
          let n = 0;
          await forEachLine(stream(), (l) => {
            const r = parseAuditLine(l, ++n);
            if (r !== undefined) got.push(r);
          });
          const want = parseAuditLog(text);
          expect(got.filter((r) => !('message' in r))).toEqual(want.records);
          expect(got.filter((r) => 'message' in r)).toEqual(want.warnings);
        },
      ),
      { numRuns: 300 },
    );
  });
});
