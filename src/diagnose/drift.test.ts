import { describe, expect, test } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import { loadProfile } from '../profile/index.js';
import { resolveProfile } from '../profile/resolve.js';
import { preparePolicy, type EnginePolicy } from '../run/suite-engine.js';
import { TracedCalls } from './doctor-calls.js';
import { judgeDrift } from './drift.js';

/** The profile prepared as `sysgate drift` prepares it (x86_64, Docker's default caps, kernel 6.1). */
function prepare(doc: object): EnginePolicy {
  const text = JSON.stringify(doc);
  const resolved = resolveProfile(loadProfile('p.json', text).profile, {
    arch: 'x86_64',
    caps: DOCKER_DEFAULT_CAPABILITIES,
    kernel: { major: 6, minor: 1 },
  });
  if (resolved === null) throw new Error('no profile');
  return preparePolicy('p.json', text, resolved, 'x86_64');
}

const PROFILE = prepare({
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'write', 'close', 'exit_group', 'getpid'], action: 'SCMP_ACT_ALLOW' },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
    },
  ],
});

function traced(...lines: string[]): TracedCalls {
  const t = new TracedCalls('x86_64');
  t.addTrace(lines.join('\n'));
  return t;
}

describe('judgeDrift: the smallest change per call, per ABI, with argument values', () => {
  const cases: { name: string; lines: string[]; want: [string, string, string, unknown][] }[] = [
    {
      name: 'everything allowed, socket on its allowed family: covered',
      lines: ['10<app> [  39] getpid() = 10', '10<app> [  41] socket(0x1, 0x1, 0) = 3'],
      want: [],
    },
    {
      name: 'a new socket family: the rule pins family, type and protocol to what was seen',
      lines: ['10<app> [  41] socket(0x2, 0x1, 0x6) = 3'],
      want: [
        [
          'x86_64',
          'socket',
          'allow',
          [
            {
              names: ['socket'],
              action: 'SCMP_ACT_ALLOW',
              args: [
                { index: 0, value: 2, op: 'SCMP_CMP_EQ' },
                { index: 1, value: 1, op: 'SCMP_CMP_EQ' },
                { index: 2, value: 6, op: 'SCMP_CMP_EQ' },
              ],
              comment: 'drift: needed now by app',
            },
          ],
        ],
      ],
    },
    {
      name: 'a plain new call: an unconditional allow',
      lines: ['10<app> [  99] sysinfo(0x7ffc) = 0'],
      want: [
        [
          'x86_64',
          'sysinfo',
          'allow',
          [{ names: ['sysinfo'], action: 'SCMP_ACT_ALLOW', comment: 'drift: needed now by app' }],
        ],
      ],
    },
    {
      name: 'a critical call: never allow',
      lines: [
        '10<app> [ 165] mount("none", "/mnt", "tmpfs", 0, NULL) = -1 EPERM (Operation not permitted)',
      ],
      want: [['x86_64', 'mount', 'never-allow', undefined]],
    },
    {
      name: 'a 32-bit call (i386 getpid is 20) in a profile without the i386 ABI: add the architecture',
      lines: ['10 [ Process PID=10 runs in 32 bit mode. ]', '10<app> getpid() = 10'],
      want: [['x86', 'getpid', 'add-arch', 'SCMP_ARCH_X86']],
    },
  ];
  test.each(cases)('$name', ({ lines, want }) => {
    const { findings } = judgeDrift(traced(...lines), PROFILE, 'bwrap');
    expect(
      findings.map((f) => [
        f.abi,
        f.name,
        f.change.kind,
        f.change.kind === 'allow'
          ? f.change.rules
          : f.change.kind === 'add-arch'
            ? f.change.architecture
            : undefined,
      ]),
    ).toEqual(want);
  });

  test('the runtime calls runc makes after loading the filter count for docker, not bwrap', () => {
    const calls = traced('10<app> [  39] getpid() = 10');
    expect(judgeDrift(calls, PROFILE, 'bwrap').findings).toEqual([]);
    const docker = judgeDrift(calls, PROFILE, 'docker').findings;
    expect(docker.length).toBeGreaterThan(0);
    expect(docker.every((f) => f.origin === 'runtime')).toBe(true);
  });
});
