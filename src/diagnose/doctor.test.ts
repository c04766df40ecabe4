import { describe, expect, test } from 'vitest';
import { resolveProfile } from '../profile/resolve.js';
import { loadProfile } from '../profile/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import type { Evidence, EvidenceSyscall } from '../generate/evidence.js';
import { refusedCalls } from './doctor.js';
import { preparePolicy, type EnginePolicy } from '../run/suite-engine.js';

/** A small allowlist: read/write/exit_group, socket for AF_UNIX only. */
const PROFILE = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
    },
  ],
});

function policy(): EnginePolicy {
  const loaded = loadProfile('p.json', PROFILE);
  const resolved = resolveProfile(loaded.profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('no profile');
  return preparePolicy('p.json', PROFILE, resolved, 'x86_64');
}

function call(
  name: string,
  nr: number,
  count: number,
  args: EvidenceSyscall['args'] = {},
): EvidenceSyscall {
  return {
    abi: 'x86_64',
    name,
    nr,
    count,
    coverage: 1,
    errors: {},
    firstSeen: { source: '-', line: 1 },
    processes: [],
    executables: [],
    args,
    logged: {},
  };
}

function evidence(syscalls: EvidenceSyscall[]): Evidence {
  return {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: [] },
    totals: { calls: 0, syscalls: syscalls.length, processes: 1 },
    syscalls,
  };
}

describe('refusedCalls', () => {
  test('names each refused syscall with its action, risk and an unconditional rule', () => {
    const got = refusedCalls(
      evidence([call('read', 0, 10), call('rename', 82, 2), call('mount', 165, 1)]),
      policy(),
    );
    expect(got.map((r) => [r.name, r.action, r.rules])).toEqual([
      ['rename', 'ERRNO(1) EPERM', [{ names: ['rename'], action: 'SCMP_ACT_ALLOW' }]],
      ['mount', 'ERRNO(1) EPERM', [{ names: ['mount'], action: 'SCMP_ACT_ALLOW' }]],
    ]);
    expect(got.find((r) => r.name === 'mount')?.risk).toBe('critical');
  });

  test('a syscall the profile decides on its arguments gets a rule for the refused values only', () => {
    const socket = call('socket', 41, 3, {
      family: {
        index: 0,
        values: [
          { value: '1', text: 'AF_UNIX', count: 2 },
          { value: '10', text: 'AF_INET6', count: 1 },
        ],
      },
    });
    const [r] = refusedCalls(evidence([socket]), policy());
    expect(r?.refusedValues).toEqual({ label: 'family', index: 0, values: ['10'] });
    expect(r?.rules).toEqual([
      {
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 10, op: 'SCMP_CMP_EQ' }],
      },
    ]);
  });

  test('allowed calls and other ABIs are not reported', () => {
    const socket = call('socket', 41, 3, {
      family: { index: 0, values: [{ value: '1', text: 'AF_UNIX', count: 3 }] },
    });
    const x86 = { ...call('rename', 38, 1), abi: 'x86' as const };
    expect(refusedCalls(evidence([socket, call('write', 1, 5), x86]), policy())).toEqual([]);
  });
});
