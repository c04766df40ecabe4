import { release } from 'node:os';
import { describe, expect, test } from 'vitest';
import { parseProfile } from '../profile/parse.js';
import { writeProfile } from '../profile/write.js';
import { loadForRunc } from '../runc/check.js';
import { readEvidence, toEvidence, writeEvidence } from './evidence.js';
import { Observation } from '../trace/observe.js';
import {
  describeProvenance,
  libseccompLibraryVersion,
  profileProvenance,
  PROVENANCE_PREFIX,
  sysgateVersion,
  toolVersions,
  withProvenance,
  type Provenance,
} from './provenance.js';
import { generateProfile } from './generate.js';
import { mergeEvidence } from './merge.js';

const PROV: Provenance = {
  date: '2026-12-06T21:00:00.000Z',
  command: ['sh', '-c', 'echo "a\nb"; true'],
  image: {
    name: 'app:1',
    id: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    digests: ['registry.example/app@sha256:feed'],
  },
  tools: { sysgate: '0.1.0', strace: '6.1', libseccomp: '2.5.4', kernel: '6.1.0-13-amd64' },
};

const PROFILE = parseProfile(
  JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: 'io: 2 syscalls' },
      { names: ['exit_group'], action: 'SCMP_ACT_ALLOW' },
    ],
  }),
  'p.json',
).profile;

describe('provenance', () => {
  test('rides in the first rule comment and reads back exactly, the rule comment kept', () => {
    const p = withProvenance(PROFILE, [PROV]);
    const comment = p.syscalls[0]?.comment ?? '';
    expect(comment.startsWith(PROVENANCE_PREFIX)).toBe(true);
    expect(comment.endsWith('\nio: 2 syscalls')).toBe(true);
    // Through the Docker JSON writer and the runc-faithful loader: no warning, same provenance.
    const text = writeProfile(p);
    const loaded = loadForRunc('p.json', text);
    expect(loaded.warnings).toEqual([]);
    expect(profileProvenance(loaded.profile)).toEqual([PROV]);
    expect(loaded.profile.syscalls.map((r) => r.names)).toEqual(
      PROFILE.syscalls.map((r) => r.names),
    );
  });

  test('several recordings: a list; none: the profile unchanged; foreign comments: none', () => {
    const two = withProvenance(PROFILE, [PROV, { ...PROV, date: '2026-12-07T00:00:00.000Z' }]);
    expect(profileProvenance(two).map((x) => x.date)).toEqual([
      PROV.date,
      '2026-12-07T00:00:00.000Z',
    ]);
    expect(withProvenance(PROFILE, [])).toBe(PROFILE);
    expect(profileProvenance(PROFILE)).toEqual([]);
    const broken = {
      ...PROFILE,
      syscalls: PROFILE.syscalls.map((r) => ({ ...r, comment: `${PROVENANCE_PREFIX}{not json` })),
    };
    expect(profileProvenance(broken)).toEqual([]);
  });

  test('evidence keeps it through write/read and merge; generation carries it into the profile', () => {
    const obs = new Observation('x86_64');
    const ev = toEvidence(obs, { sources: ['strace'], provenance: [PROV] });
    const back = readEvidence(writeEvidence(ev), 'ev.json');
    expect(back.meta.provenance).toEqual([PROV]);
    const merged = mergeEvidence([back, back]);
    expect(merged.meta.provenance).toEqual([PROV, PROV]);
    expect(() =>
      readEvidence(
        writeEvidence({ ...ev, meta: { ...ev.meta, provenance: [{ date: 1 }] as never } }),
        'bad.json',
      ),
    ).toThrow(/date, command, tools/);
    // generateProfile itself is pure; the CLI adds the line (renderGenerated).
    expect(profileProvenance(generateProfile(back))).toEqual([]);
  });

  test("this machine's tool versions", () => {
    const t = toolVersions('strace');
    expect(t.sysgate).toBe(sysgateVersion());
    expect(t.sysgate).toMatch(/^\d+\.\d+\.\d+/);
    expect(t.kernel).toBe(release());
    expect(t.libseccomp).toBe(libseccompLibraryVersion());
    expect(describeProvenance(PROV)).toBe(
      'image app:1 (sha256:0123456789ab, registry.example/app@sha256:feed) sh -c echo "a\nb"; true recorded 2026-12-06T21:00:00.000Z with sysgate 0.1.0, strace 6.1, libseccomp 2.5.4, kernel 6.1.0-13-amd64',
    );
  });
});
