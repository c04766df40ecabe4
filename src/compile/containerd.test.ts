import { describe, expect, test } from 'vitest';
import { parseProfile } from '../profile/parse.js';
import { CONTAINERD_LOADER, containerdProfile } from './containerd.js';

describe('containerd loader model', () => {
  test('only the OCI fields reach runc: archMap, includes/excludes and the singular name are dropped', () => {
    const doc = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { name: 'write', action: 'SCMP_ACT_ALLOW' },
        {
          names: ['mount'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 38,
          excludes: { arches: ['amd64'] },
        },
      ],
    };
    const p = containerdProfile(parseProfile(JSON.stringify(doc), 'p.json').profile);
    expect(p.architectures).toEqual([]);
    expect(p.defaultErrnoRet).toBe(13);
    expect(p.syscalls.map((r) => [r.names, r.action, r.errnoRet])).toEqual([
      [['read'], 'SCMP_ACT_ALLOW', undefined],
      [[], 'SCMP_ACT_ALLOW', undefined],
      [['mount'], 'SCMP_ACT_ERRNO', 38],
    ]);
  });

  test('every fact names containerd source with a release', () => {
    for (const f of CONTAINERD_LOADER) {
      expect(f.source.startsWith('containerd/containerd ')).toBe(true);
      expect(f.source).toMatch(/\bv1\.6\.20\b/);
    }
  });
});
