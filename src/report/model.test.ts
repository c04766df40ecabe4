import { describe, expect, test } from 'vitest';
import { compileProfile } from '../compile/compile.js';
import { parseProfile } from '../profile/index.js';
import { resolveProfile } from '../profile/resolve.js';
import type { ArgCondition } from '../profile/types.js';
import { conditionText, reportModel } from './model.js';

const cond = (c: Partial<ArgCondition>): ArgCondition => ({
  index: 0,
  value: 0n,
  valueTwo: 0n,
  op: 'SCMP_CMP_EQ',
  ...c,
});

describe('argument rules in words', () => {
  test.each([
    { name: 'socket', c: cond({ value: 1n }), want: 'args[0] == 1 (AF_UNIX)' },
    {
      name: 'socket',
      c: cond({ value: 40n, op: 'SCMP_CMP_NE' }),
      want: 'args[0] != 0x28 (AF_VSOCK)',
    },
    {
      name: 'clone',
      c: cond({ value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ' }),
      want: 'args[0] & 0x7e020000 == 0',
    },
    { name: 'personality', c: cond({ value: 0xffffffffn }), want: 'args[0] == 0xffffffff' },
    {
      name: 'ioctl',
      c: cond({ index: 1, value: 0x5401n, op: 'SCMP_CMP_GE' }),
      want: 'args[1] >= 0x5401',
    },
  ])('$want', ({ name, c, want }) => {
    expect(conditionText(name, c)).toBe(want);
  });
});

describe('the report model', () => {
  const text = JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
      },
    ],
  });
  const loaded = parseProfile(text, 'p.json');
  const resolved = resolveProfile(loaded.profile, {
    arch: 'x86_64',
    caps: [],
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('no filter');
  const c = compileProfile(resolved, { arch: 'x86_64', libseccompVersion: '2.5.4', stats: false });
  const side = { label: 'p.json', filters: [c.program], plan: c.plan };
  const m = reportModel({
    file: 'p.json',
    resolved,
    side,
    against: side,
    lint: [],
    abis: ['x86_64'],
    libseccomp: '2.5.4',
    locate: loaded.locate,
    now: new Date(0),
    evidence: {
      syscalls: [{ abi: 'x86_64', name: 'read', count: 7, processes: ['python3'] }],
    } as never,
  });

  test('allowed and conditional syscalls by category, with who used them', () => {
    const all = m.categories.flatMap((k) => k.syscalls);
    expect(all.map((s) => [s.name, s.exposure]).sort()).toEqual([
      ['exit_group', 'allowed'],
      ['read', 'allowed'],
      ['socket', 'conditional'],
      ['write', 'allowed'],
    ]);
    expect(all.find((s) => s.name === 'read')).toMatchObject({ usedBy: ['python3'], count: 7 });
  });

  test('the argument rule in words, at its pointer', () => {
    expect(m.argumentRules).toEqual([
      { pointer: '/syscalls/1', line: 1, text: 'socket: allowed only when args[0] == 1 (AF_UNIX)' },
    ]);
  });

  test('dangerous calls it refuses carry risk and reason; none is reachable', () => {
    const names = m.refusals.map((r) => r.name);
    expect(names).toContain('mount');
    expect(names).toContain('ptrace');
    expect(names).not.toContain('read');
    for (const r of m.refusals) expect(['critical', 'high']).toContain(r.risk);
    for (const r of m.refusals) expect(r.reason.length).toBeGreaterThan(10);
  });

  test('against itself: 0% reduction', () => {
    expect(m.score[0]?.reduction).toBe(0);
  });
});
