import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { actionKind } from '../bpf/seccomp.js';
import { parseAuditLog } from '../trace/audit.js';
import { generateProfile } from './generate.js';
import { ingest } from './ingest.js';
import { splitOutcomes } from './outcomes.js';

const SECCOMP = resolve(import.meta.dirname, '../../test/fixtures/corpus/traces/seccomp');

/** A kernel record as dmesg prints it (the corpus' own shape), for one syscall number and code. */
const rec = (serial: number, nr: number, code: string, comm = 'phase-a'): string =>
  `[ 1100.1418${serial}] audit: type=1326 audit(1795453800.709:${serial}): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=10098 comm="${comm}" exe="/usr/bin/${comm}" sig=${code === '0x50000' || code === '0x7ffc0000' ? 0 : 31} arch=c000003e syscall=${nr} compat=0 ip=0x7fdc8af92b07 code=${code}`;

async function* bytes(text: string): AsyncGenerator<Buffer> {
  await Promise.resolve();
  yield Buffer.from(text);
}

const allowRulesFor = (p: ReturnType<typeof generateProfile>, name: string): unknown[] =>
  p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name));

describe('refused records are not evidence of need', () => {
  test('regression: one refused mount and one killed ptrace yield no ALLOW rule for either', async () => {
    const log = [
      rec(1, 257, '0x7ffc0000'), // openat, logged: ran
      rec(2, 165, '0x50000'), // mount, ERRNO
      rec(3, 101, '0x80000000'), // ptrace, KILL_PROCESS
    ].join('\n');
    const ev = await ingest({ name: 'audit.log', stream: bytes(log) }, { host: 'x86_64' });
    const { need, refusals } = splitOutcomes(ev);
    expect(need.syscalls.map((s) => s.name)).toEqual(['openat']);
    expect(refusals.map((r) => [r.name, r.actions])).toEqual([
      ['mount', { ERRNO: 1 }],
      ['ptrace', { KILL_PROCESS: 1 }],
    ]);
    for (const mode of ['enforce', 'audit', 'kill'] as const) {
      const p = generateProfile(ev, { mode });
      expect(allowRulesFor(p, 'openat')).toHaveLength(1);
      expect(allowRulesFor(p, 'mount')).toEqual([]);
      expect(allowRulesFor(p, 'ptrace')).toEqual([]);
    }
  });

  test('a syscall both logged and refused is allowed, counting only the records that ran', async () => {
    const log = [rec(1, 0, '0x7ffc0000'), rec(2, 0, '0x50000'), rec(3, 0, '0x7ffc0000')].join('\n');
    const ev = await ingest({ name: 'a', stream: bytes(log) }, { host: 'x86_64' });
    const { need, refusals } = splitOutcomes(ev);
    expect(need.syscalls).toMatchObject([{ name: 'read', count: 2, logged: { '0x7ffc0000': 2 } }]);
    expect(refusals).toMatchObject([{ name: 'read', count: 1, actions: { ERRNO: 1 } }]);
  });

  test('strace evidence (no audit records) passes unchanged', async () => {
    const ev = await ingest({ name: resolve(SECCOMP, '../python-f.strace') }, { host: 'x86_64' });
    expect(splitOutcomes(ev)).toEqual({ need: ev, refusals: [] });
  });

  test('every action of the corpus run (seccomp-codes, all SECCOMP_RET_*): only LOG records are allowed', async () => {
    const file = join(SECCOMP, 'netlink-seccomp-codes.txt');
    const ev = await ingest({ name: file }, { host: 'x86_64' });
    const { records } = parseAuditLog(readFileSync(file, 'utf8'));
    // Independent oracle: the syscall numbers whose every record is LOG.
    const ranNr = new Set(
      records.filter((r) => actionKind(r.code ?? 0) === 'log').map((r) => r.syscall),
    );
    const refusedOnly = new Set(
      records
        .filter((r) => actionKind(r.code ?? 0) !== 'log' && !ranNr.has(r.syscall))
        .map((r) => r.syscall),
    );
    expect(refusedOnly.size).toBeGreaterThan(2);
    const { need, refusals } = splitOutcomes(ev);
    expect(new Set(need.syscalls.map((s) => s.nr))).toEqual(ranNr);
    expect(refusals.length).toBeGreaterThan(2);
    const p = generateProfile(ev, { mode: 'audit' });
    const allowed = new Set(
      p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
    );
    for (const s of ev.syscalls)
      if (refusedOnly.has(s.nr)) expect(allowed.has(s.name), s.name).toBe(false);
  });

  test('ausearch -i names (errno, kill, trap, trace, user-notify) are refusals, log is need', async () => {
    const ev = await ingest({ name: join(SECCOMP, 'ausearch-i.txt') }, { host: 'x86_64' });
    const { need, refusals } = splitOutcomes(ev);
    expect(need.syscalls.every((s) => Object.keys(s.logged).every((k) => k === 'log'))).toBe(true);
    const acts = new Set(refusals.flatMap((r) => Object.keys(r.actions)));
    expect([...acts].sort()).toEqual(['ERRNO', 'KILL_PROCESS', 'TRACE', 'TRAP', 'USER_NOTIF']);
  });
});
