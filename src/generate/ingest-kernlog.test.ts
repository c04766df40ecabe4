import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archForAudit, syscallName } from '../arch/index.js';
import { detectInputKind, ingest } from './ingest.js';
import { generateProfile } from './generate.js';
import { splitOutcomes } from './outcomes.js';

const KERNLOG = resolve(import.meta.dirname, '../../test/fixtures/kernlog');
const read = (f: string): string => readFileSync(resolve(KERNLOG, f), 'utf8');

/** `/dev/kmsg` lines as `[PRI, USEC, MESSAGE]` (continuation lines dropped). */
function kmsgEntries(): [number, number, string][] {
  return read('kmsg.txt')
    .split('\n')
    .flatMap((l) => {
      const m = /^(\d+),\d+,(\d+),[^;]*;(.*)$/.exec(l);
      return m ? [[Number(m[1]), Number(m[2]), m[3] ?? ''] as [number, number, string]] : [];
    });
}

/** Boot time (epoch µs): taken from the first record's audit() stamp and its kmsg time. */
function bootUsec(entries: readonly [number, number, string][]): number {
  for (const [, usec, msg] of entries) {
    const m = /audit\((\d+)\.(\d+):/.exec(msg);
    if (m) return Number(m[1]) * 1e6 + Number(m[2]) * 1e3 - usec;
  }
  throw new Error('no record');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function shortStamp(usec: number): string {
  const d = new Date(usec / 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** The kmsg messages as `journalctl -k` (short), `journalctl -k -o json` and kern.log print them. */
function wrapped(): Record<string, string> {
  const entries = kmsgEntries();
  const boot = bootUsec(entries);
  const short = entries.map(([, u, m]) => `${shortStamp(boot + u)} ci kernel: ${m}`);
  const json = entries.map(([pri, u, m]) =>
    JSON.stringify({
      __CURSOR: `s=0;i=${u}`,
      __REALTIME_TIMESTAMP: String(boot + u),
      __MONOTONIC_TIMESTAMP: String(u),
      PRIORITY: String(pri & 7),
      SYSLOG_FACILITY: String(pri >> 3),
      SYSLOG_IDENTIFIER: 'kernel',
      _TRANSPORT: 'kernel',
      _HOSTNAME: 'ci',
      MESSAGE: m,
    }),
  );
  const iso = entries.map(
    ([, u, m]) =>
      `${new Date((boot + u) / 1000).toISOString().replace('Z', '+00:00')} ci kernel: [${(u / 1e6).toFixed(6).padStart(12)}] ${m}`,
  );
  return {
    'journalctl -k': ['-- Boot 5f2b7c1d0e9a4b3c8d7e6f5a4b3c2d1e --', ...short].join('\n'),
    'journalctl -k -o json': json.join('\n'),
    'kern.log (rsyslog, RFC 3339)': iso.join('\n'),
  };
}

const INPUTS: Record<string, string> = {
  dmesg: read('dmesg.txt'),
  'dmesg -T': read('dmesg-T.txt'),
  '/dev/kmsg': read('kmsg.txt'),
  ...wrapped(),
};

async function* bytes(text: string): AsyncGenerator<Buffer> {
  await Promise.resolve();
  // Small chunks: records are cut across reads.
  for (let i = 0; i < text.length; i += 4093) yield Buffer.from(text.slice(i, i + 4093));
}

/** Independent oracle: the records of a kernel log, named from their arch token and number. */
function oracle(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/type=1326 audit\([^)]*\): .*? arch=([0-9a-f]+) syscall=(\d+) /g)) {
    const abi = archForAudit(parseInt(m[1] ?? '', 16), Number(m[2]));
    const key = `${abi?.name ?? '?'}/${abi ? syscallName(abi.name, Number(m[2])) : '?'}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe('kernel logs with records far from the top', () => {
  test('the first record of dmesg.txt is past line 50 (what the old detection missed)', () => {
    const first = read('dmesg.txt')
      .split('\n')
      .findIndex((l) => l.includes('type=1326'));
    expect(first).toBeGreaterThan(100);
  });

  test.each(Object.keys(INPUTS))(
    '%s: detected as an audit log, every record read',
    async (name) => {
      const text = INPUTS[name] ?? '';
      expect(detectInputKind(text.slice(0, 65536))).toBe('audit');
      const ev = await ingest({ name: '-', stream: bytes(text) }, { host: 'x86_64' });
      const want = oracle(text);
      expect([...want.values()].reduce((a, b) => a + b, 0)).toBe(128);
      const got = new Map(ev.syscalls.map((s) => [`${s.abi}/${s.name}`, s.count]));
      expect(got).toEqual(want);
      // i386 numbers are named from the i386 table (syscall=20 is getpid there, writev on x86_64).
      expect(got.has('x86/getpid')).toBe(true);
    },
  );

  test('generate from dmesg: LOG records become rules, KILL records are refusals only', async () => {
    const ev = await ingest({ name: '-', stream: bytes(INPUTS.dmesg ?? '') }, { host: 'x86_64' });
    const { need, refusals } = splitOutcomes(ev);
    expect(need.syscalls.length).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    const p = generateProfile(ev, { mode: 'audit', target: 'bare' });
    const allowed = new Set(
      p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
    );
    const ranNames = new Set(need.syscalls.map((s) => s.name));
    for (const r of refusals)
      if (!ranNames.has(r.name)) expect(allowed.has(r.name), r.name).toBe(false);
  });
});
