import { describe, expect, test } from 'vitest';
import { riskOf } from '../kb/index.js';
import { sideOf } from './diff.testkit.js';
import { attackSurface, surfaceReduction } from './score.js';

const small = sideOf({
  defaultAction: 'SCMP_ACT_ERRNO',
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['getpid'], action: 'SCMP_ACT_LOG' },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
    },
    { names: ['ptrace'], action: 'SCMP_ACT_TRACE' },
  ],
});
const wide = sideOf({
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [{ names: ['ptrace'], action: 'SCMP_ACT_ERRNO' }],
});

describe('attackSurface', () => {
  test('allowed on every argument, on some, or never; counted per risk level', () => {
    const [s] = attackSurface(small, ['x86_64']);
    expect(s?.allowed).toEqual(['read', 'write', 'getpid']);
    expect(s?.conditional).toEqual(['socket']);
    expect((s?.refused ?? 0) + 4).toBe(s?.syscalls);
    const level = riskOf('socket').level;
    expect(s?.byRisk[level].conditional).toBe(1);
    const counted = Object.values(s?.byRisk ?? {}).reduce(
      (n, c) => n + c.allowed + c.conditional,
      0,
    );
    expect(counted).toBe(4);
  });

  test('an ABI outside the filter is refused whole (the bad-arch action)', () => {
    const [x86] = attackSurface(small, ['x86']);
    expect(x86?.allowed).toEqual([]);
    expect(x86?.refused).toBe(x86?.syscalls);
  });

  test('no seccomp allows everything', () => {
    const [s] = attackSurface({ label: 'none', filters: [] }, ['x86_64']);
    expect(s?.allowed.length).toBe(s?.syscalls);
  });
});

describe('surfaceReduction', () => {
  test('against a wider reference, and against itself', () => {
    const [m] = attackSurface(small, ['x86_64']);
    const [r] = attackSurface(wide, ['x86_64']);
    if (m === undefined || r === undefined) throw new Error('no surface');
    const red = surfaceReduction(m, r);
    expect(red.total).toBeCloseTo(1 - 4 / (r.allowed.length + r.conditional.length), 10);
    expect(red.beyond).toEqual([]);
    expect(surfaceReduction(r, r).total).toBe(0);
    // TRACE does not count as running (actionRuns): ptrace is beyond neither side.
    expect(surfaceReduction(r, m).beyond).toContain('mount');
    const none = attackSurface(sideOf({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [] }), [
      'x86_64',
    ])[0];
    if (none === undefined) throw new Error('no surface');
    expect(surfaceReduction(m, none).total).toBeNull();
  });
});
