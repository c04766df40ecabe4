/**
 * Acceptance over the vendored corpus (test/fixtures/corpus/profiles): validate never crashes, the three
 * files SOURCES.md marks INVALID exit 2 with a line and column, every other file parses, and every
 * Docker-format file round-trips through the canonical writer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  parseProfiles,
  writeProfile,
  type Profile,
  type SyscallRule,
} from '../../src/profile/index.js';
import { runCli } from './run-cli.js';

const DIR = resolve(import.meta.dirname, '../fixtures/corpus/profiles');
const files = readdirSync(DIR)
  .filter((f) => f !== 'SOURCES.md')
  .sort();

/** The files SOURCES.md marks INVALID, read from SOURCES.md itself (not hard-coded). */
const sources = readFileSync(resolve(DIR, 'SOURCES.md'), 'utf8');
const invalid = sources
  .split('\n')
  .filter((l) => l.startsWith('| ') && l.includes('**INVALID'))
  .map((l) => l.split('|')[1]?.trim() ?? '');

/**
 * Files that parse but that today's Docker -> runc -> libseccomp refuses, with the reason. Each was
 * checked by hand against docs/semantics.md and a measurement:
 * - errnoRet 12345 on an ERRNO rule: libseccomp 2.5.4 refuses ERRNO data >= 4095 (measured with a
 *   C program: ERRNO(4094) accepted, ERRNO(4095) EINVAL);
 * - minKernel "4.8.0" (moby 2018 default): current moby accepts only "<major>.<minor>" (docs/semantics.md#moby-rejects);
 * - numeric actions (moby's first, pre-release default): current Docker fails with "cannot unmarshal
 *   number into ... of type string".
 */
const REFUSED_BY_REAL_STACK: Readonly<Record<string, string>> = {
  'moby__profiles__seccomp_fixtures_example.json': 'errno-out-of-range',
  'moby__moby__profiles_seccomp_default__2018-11-02_1124543c.json': 'invalid-min-kernel',
  'moby__moby__profiles_seccomp_default__2016-02-08_d57816de.json': 'legacy-format',
};

function omitProvenance(r: SyscallRule): Omit<SyscallRule, 'pointer' | 'legacyName'> {
  const copy: Record<string, unknown> = { ...r };
  delete copy.pointer;
  delete copy.legacyName;
  return copy as Omit<SyscallRule, 'pointer' | 'legacyName'>;
}

/** The model without provenance (pointers, legacy `name` spelling), for round-trip comparison. */
function strip(p: Profile): unknown {
  return { ...p, syscalls: p.syscalls.map((r) => omitProvenance(r)) };
}

describe('validate over the corpus', () => {
  test('SOURCES.md names exactly three INVALID files, all present', () => {
    expect(invalid).toHaveLength(3);
    for (const f of invalid) expect(files).toContain(f);
  });

  test.each(files)('%s', async (f) => {
    const r = await runCli(['validate', resolve(DIR, f)]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at \S+ \(/);
    if (invalid.includes(f)) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`${f.replaceAll('.', '\\.')}:\\d+:\\d+: error\\[(syntax|template)\\]`),
      );
      return;
    }
    // Everything else parses (no syntax or decoding error).
    const docs = parseProfiles(readFileSync(resolve(DIR, f), 'utf8'), f);
    expect(docs.length).toBeGreaterThan(0);
    const refused = REFUSED_BY_REAL_STACK[f];
    if (refused === undefined) {
      expect(r.code, r.stderr).toBe(0);
    } else {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`:\\d+:\\d+: error\\[${refused}\\]`));
    }
  });
});

describe('Docker-format corpus files round-trip through the writer', () => {
  const dockerFiles = files.filter((f) => {
    if (invalid.includes(f)) return false;
    const docs = parseProfiles(readFileSync(resolve(DIR, f), 'utf8'), f);
    return docs.length === 1 && docs[0]?.format === 'docker';
  });

  test('there are many of them', () => {
    expect(dockerFiles.length).toBeGreaterThan(50);
  });

  test.each(dockerFiles)('%s', (f) => {
    const [first] = parseProfiles(readFileSync(resolve(DIR, f), 'utf8'), f);
    if (first === undefined) throw new Error('no profile');
    const text = writeProfile(first.profile);
    const [again] = parseProfiles(text, 'canonical.json');
    if (again === undefined) throw new Error('no profile after writing');
    expect(again.format).toBe('docker');
    expect(strip(again.profile)).toEqual(strip(first.profile));
    // The canonical form is a fixed point.
    expect(writeProfile(again.profile)).toBe(text);
  });
});
