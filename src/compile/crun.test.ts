import { describe, expect, test } from 'vitest';
import type { SeccompData } from '../bpf/seccomp.js';
import { buildPlan, type ModelProfile } from './build.js';
import { CRUN_LOADER, CRUN_RELEASES, crunPlanOptions } from './crun.js';
import { decide } from './decide.js';

const X86_64 = 0xc000003e;
const data = (nr: number): SeccompData => ({
  nr,
  arch: X86_64,
  instructionPointer: 0n,
  args: [0n, 0n, 0n, 0n, 0n, 0n],
});

/** runc's test profile shape: ERRNO by default, read/write allowed, architectures listed. */
const profile = (defaultAction: ModelProfile['defaultAction']): ModelProfile => ({
  defaultAction,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], pointer: '/syscalls/0' },
  ],
});

describe('crun loader model', () => {
  // nr 1000 is above write (1): runc's stub answers ENOSYS, crun the default action.
  test.each([
    ['SCMP_ACT_ERRNO', 1000, 0x50001, 0x50026],
    ['SCMP_ACT_KILL', 1000, 0x00000000, 0x50026],
    ['SCMP_ACT_ERRNO', 0, 0x7fff0000, 0x7fff0000],
    ['SCMP_ACT_ERRNO', 300, 0x50001, 0x50026],
    ['SCMP_ACT_ALLOW', 1000, 0x7fff0000, 0x7fff0000],
  ] as const)('default %s, nr %d: crun %s, runc 1.1 %s', (def, nr, crun, runc) => {
    const p = profile(def);
    expect(
      decide(buildPlan(p, { arch: 'x86_64', ...crunPlanOptions() }), data(nr)).value >>> 0,
    ).toBe(crun);
    expect(decide(buildPlan(p, { arch: 'x86_64' }), data(nr)).value >>> 0).toBe(runc);
  });

  test('every fact names its source with a commit or release, and the releases their commits', () => {
    for (const f of CRUN_LOADER) {
      expect(f.source.startsWith('containers/crun ')).toBe(true);
      expect(f.source).toMatch(/\b(?:\d+\.\d+|[0-9a-f]{8,40})\b/);
    }
    for (const r of CRUN_RELEASES) expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(CRUN_LOADER.filter((f) => f.changesDecisions).map((f) => f.id)).toEqual([
      'no-enosys-stub',
    ]);
  });
});
