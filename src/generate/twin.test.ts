import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archInfo, libseccompKnows, syscallEntries } from '../arch/index.js';
import { actionKind, seccompArgs } from '../bpf/seccomp.js';
import { buildPlan } from '../compile/build.js';
import { decide } from '../compile/decide.js';
import { criticalSyscalls } from '../kb/index.js';
import { parseProfile, type Profile } from '../profile/index.js';
import { resolvedToProfile, resolveProfile } from '../profile/resolve.js';
import { checkForRunc as checkProfile } from '../runc/check.js';
import { parseStrace } from '../trace/strace.js';
import { Observation } from '../trace/observe.js';
import { toEvidence } from './evidence.js';
import { generateProfile } from './generate.js';
import { auditTwin, FILTER_FLAG_LOG } from './twin.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HOST = { arch: 'x86_64', caps: [], kernel: { major: 6, minor: 1 } } as const;
const critical = new Set(criticalSyscalls());

/** The model's value for every x86_64 syscall (zero arguments), by name. */
function decisions(p: Profile): Map<string, number> {
  const r = resolveProfile(p, { ...HOST, caps: [...HOST.caps] });
  if (r === null) throw new Error('seccomp off');
  const plan = buildPlan(r, { arch: 'x86_64', libseccomp: '2.6' });
  const token = archInfo('x86_64').auditArch;
  return new Map(
    syscallEntries('x86_64').map((e) => [
      e.name,
      decide(plan, { nr: e.nr, arch: token, instructionPointer: 0n, args: seccompArgs([]) }).value,
    ]),
  );
}

function mobyResolved(): Profile {
  const file = resolve(ROOT, 'examples/docker-default.json');
  const r = resolveProfile(parseProfile(readFileSync(file, 'utf8'), file).profile, {
    ...HOST,
    caps: [],
  });
  if (r === null) throw new Error('seccomp off');
  return resolvedToProfile(r);
}

describe('auditTwin', () => {
  test("moby's default (resolved): what ran still runs, critical refusals stay, the rest is logged", () => {
    const moby = mobyResolved();
    const twin = auditTwin(moby);
    expect(checkProfile(twin.profile).filter((i) => i.severity === 'error')).toEqual([]);
    expect(twin.profile.defaultAction).toBe('SCMP_ACT_LOG');
    // runc 1.1 refuses any flags: only asked for, FLAG_LOG (plus the SPEC_ALLOW runc asks for itself).
    expect(twin.profile.flags).toBeUndefined();
    expect(auditTwin(moby, { logRefusals: true }).profile.flags).toEqual([
      'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
      FILTER_FLAG_LOG,
    ]);
    const before = decisions(moby);
    const after = decisions(twin.profile);
    let logged = 0;
    let refused = 0;
    for (const [name, d] of before) {
      const t = after.get(name) ?? -1;
      const ran = ['allow', 'log'].includes(actionKind(d));
      if (ran) expect(t, name).toBe(d);
      else if (critical.has(name) && libseccompKnows('x86_64', name, '2.6')) {
        expect(['allow', 'log'], name).not.toContain(actionKind(t));
        refused++;
      } else {
        expect(actionKind(t), name).toBe('log');
        logged++;
      }
    }
    expect(refused).toBeGreaterThan(10);
    expect(logged).toBeGreaterThan(10);
    // Critical calls libseccomp cannot name get the default: the twin says which.
    const abis = ['x86_64', 'x86', 'x32'] as const;
    const unnamed = [...critical].filter((n) => !abis.some((a) => libseccompKnows(a, n, '2.6')));
    if (unnamed.length > 0)
      expect(twin.notes.join('\n')).toContain(
        `libseccomp 2.6 cannot name: ${unnamed.sort().join(', ')}`,
      );
  });

  test('the twin of a generated enforce profile decides like generate --mode audit', () => {
    const obs = new Observation('x86_64');
    const trace = readFileSync(
      resolve(ROOT, 'test/fixtures/corpus/traces/python-f.strace'),
      'utf8',
    );
    for (const e of parseStrace(trace).events)
      if (e.kind === 'call') obs.addCall(e, 'python-f.strace');
    const ev = toEvidence(obs, { sources: ['python-f.strace'] });
    const twin = auditTwin(generateProfile(ev, { mode: 'enforce' }));
    const audit = generateProfile(ev, { mode: 'audit' });
    expect(decisions(twin.profile)).toEqual(decisions(audit));
  });

  test('an ALLOW default stays; its refusing rules log, critical names keep refusing', () => {
    const p: Profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        {
          names: ['acct', 'mount'],
          action: 'SCMP_ACT_KILL_PROCESS',
          args: [],
          pointer: '/syscalls/0',
        },
        {
          names: ['clone3'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 38,
          args: [],
          pointer: '/syscalls/1',
        },
      ],
    };
    const twin = auditTwin(p);
    const d = decisions(twin.profile);
    expect(actionKind(d.get('acct') ?? 0)).toBe('log');
    expect(actionKind(d.get('mount') ?? 0)).toBe('kill_process');
    expect(d.get('clone3')).toBe(0x50000 | 38);
    expect(actionKind(d.get('read') ?? 0)).toBe('allow');
    // The ALLOW default refused no critical call, so the twin adds no refusal block (regression:
    // it refused clone, and python could not start a thread).
    expect(actionKind(d.get('clone') ?? 0)).toBe('allow');
    expect(twin.profile.syscalls).toHaveLength(3);
    expect(twin.notes[0]).toBe('refusing rules now log instead: acct');
  });

  test('a critical call allowed only for some arguments is said to be logged otherwise', () => {
    const p: Profile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        {
          names: ['unshare'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 0n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }],
          pointer: '/syscalls/0',
        },
      ],
    };
    expect(auditTwin(p).notes).toContain(
      'unshare: critical and allowed only for some arguments; calls outside those arguments are logged, not refused',
    );
  });
});
