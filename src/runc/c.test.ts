import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { ProfileError } from '../profile/errors.js';
import { parseProfile } from '../profile/index.js';
import { resolveProfile, type ResolvedProfile, type ResolveHost } from '../profile/resolve.js';
import type { Profile } from '../profile/types.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../kb/index.js';
import { toC } from './c.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const golden = (name: string): string => path.resolve(repoRoot, 'test/golden/convert', name);
const mobyFile = path.resolve(
  repoRoot,
  'test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json',
);
const moby = parseProfile(readFileSync(mobyFile, 'utf8'), mobyFile).profile;
const AMD64: ResolveHost = { arch: 'x86_64', caps: [], kernel: { major: 6, minor: 1 } };

function resolved(p: Profile, host: ResolveHost = AMD64): ResolvedProfile {
  const r = resolveProfile(p, host);
  if (r === null) throw new Error('profile resolved to null');
  return r;
}

describe('toC', () => {
  test('moby default for amd64 with default caps: one add_rule per kept entry, runc-style setup', async () => {
    const r = resolved(moby, {
      ...AMD64,
      caps: [...DOCKER_DEFAULT_CAPABILITIES],
    });
    const c = toC(r, { source: 'default.json' });
    await expect(c).toMatchFileSnapshot(golden('moby-default.amd64.c'));
    expect(c.match(/\tadd_rule\(/g)).toHaveLength(15);
    expect(c).toContain('seccomp_init(SCMP_ACT_ERRNO(1));');
    expect(c).toContain('static const char *const arches[] = { "x86_64", "x86", "x32", NULL };');
    expect(c).toContain('SCMP_A0_64(SCMP_CMP_MASKED_EQ, 0x7e020000ULL, 0x0ULL)');
    expect(c).toContain('add_rule(ctx, SCMP_ACT_ERRNO(38), names, 0, NULL, 0);');
    expect(c).toContain('SCMP_FLTATR_CTL_OPTIMIZE, 2');
    expect(c).toContain('SCMP_FLTATR_CTL_NNP, 0');
    expect(c).toContain('execvp(argv[1], argv + 1);');
    // Every name of every kept entry is listed exactly once per entry.
    const listed = [...c.matchAll(/^\t\t\t"\w+",$/gm)].length;
    expect(listed).toBe(377);
  });

  const small = (over: Partial<Profile>): ResolvedProfile =>
    resolved({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [], syscalls: [], ...over });

  test.each<[string, Partial<Profile>, string[], string[]]>([
    [
      'rules with the default action are skipped; ERRNO data is cut to 16 bits as runc does',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 65537,
        syscalls: [
          {
            names: ['read'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 1,
            args: [],
            pointer: '/syscalls/0',
          },
          {
            names: ['write'],
            action: 'SCMP_ACT_ERRNO',
            errnoRet: 2,
            args: [],
            pointer: '/syscalls/1',
          },
        ],
      },
      [
        'seccomp_init(SCMP_ACT_ERRNO(1));',
        '/syscalls/0: 1 name(s), SCMP_ACT_ERRNO(1): same action as the default, skipped',
        'SCMP_ACT_ERRNO(2), names',
      ],
      ['SCMP_ACT_ERRNO(1), names'],
    ],
    [
      'KILL means KILL_THREAD; TRACE defaults to EPERM',
      {
        defaultAction: 'SCMP_ACT_KILL',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_KILL_THREAD', args: [], pointer: '/syscalls/0' },
          { names: ['write'], action: 'SCMP_ACT_TRACE', args: [], pointer: '/syscalls/1' },
        ],
      },
      [
        'seccomp_init(SCMP_ACT_KILL_THREAD);',
        'same action as the default, skipped',
        'SCMP_ACT_TRACE(1), names',
      ],
      [],
    ],
    [
      'a repeated argument index splits the rule (split flag 1); distinct indices stay one AND rule',
      {
        syscalls: [
          {
            names: ['ioctl'],
            action: 'SCMP_ACT_ERRNO',
            args: [
              { index: 1, value: 1n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
              { index: 1, value: 2n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
            ],
            pointer: '/syscalls/0',
          },
          {
            names: ['mmap'],
            action: 'SCMP_ACT_ERRNO',
            args: [
              { index: 0, value: 1n, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
              { index: 2, value: 2n, valueTwo: 0n, op: 'SCMP_CMP_GE' },
            ],
            pointer: '/syscalls/1',
          },
        ],
      },
      ['names, 2, conds0, 1);', 'names, 2, conds1, 0);', 'SCMP_A2_64(SCMP_CMP_GE, 0x2ULL, 0x0ULL)'],
      [],
    ],
    [
      'flags: LOG and SPEC_ALLOW set attributes, TSYNC is ignored; few rules, no optimize attribute',
      {
        flags: [
          'SECCOMP_FILTER_FLAG_TSYNC',
          'SECCOMP_FILTER_FLAG_LOG',
          'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
        ],
      },
      [
        'SCMP_FLTATR_CTL_LOG, 1',
        'SCMP_FLTATR_CTL_SSB, 1, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"',
        'TSYNC: accepted and ignored',
      ],
      ['SCMP_FLTATR_CTL_OPTIMIZE', 'arches[]'],
    ],
  ])('%s', (_name, over, contains, lacks) => {
    const c = toC(small(over));
    for (const s of contains) expect(c).toContain(s);
    for (const s of lacks) expect(c).not.toContain(s);
  });

  test.each<[string, Partial<Profile>, string]>([
    [
      'NOTIFY rules',
      {
        listenerPath: '/run/a',
        syscalls: [
          { names: ['mount'], action: 'SCMP_ACT_NOTIFY', args: [], pointer: '/syscalls/0' },
        ],
      },
      'c-notify-unsupported',
    ],
    ['NOTIFY default', { defaultAction: 'SCMP_ACT_NOTIFY' }, 'notify-default'],
    ['unknown flags', { flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }, 'unknown-flag'],
  ])('refuses %s', (_name, over, code) => {
    try {
      toC(small(over));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).issues[0].code).toBe(code);
    }
  });
});
