import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileProfile } from '../compile/compile.js';
import { libseccompProgram } from '../compile/libseccomp.js';
import { parseProfile } from '../profile/parse.js';
import { resolveProfile } from '../profile/resolve.js';
import { summarizeFilter } from './filter-summary.js';

const mobyFile = resolve(
  import.meta.dirname,
  '../../test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json',
);
const moby = resolveProfile(parseProfile(readFileSync(mobyFile, 'utf8'), mobyFile).profile, {
  arch: 'x86_64',
  caps: [],
  kernel: { major: 6, minor: 1 },
});
if (moby === null) throw new Error('moby default did not resolve');

describe('summarizeFilter lifts the program (compile/lift.ts) for its argument-filtered syscalls', () => {
  test("sysgate's program and libseccomp's agree: moby's clone and personality", () => {
    const ours = summarizeFilter(compileProfile(moby, { arch: 'x86_64', stats: false }).program, 0);
    const lib = summarizeFilter(libseccompProgram(moby, { arch: 'x86_64' }), 0);
    expect(ours.argumentFiltered).toEqual(lib.argumentFiltered);
    expect(ours.argumentFiltered).toEqual(expect.arrayContaining(['clone', 'personality']));
    expect(ours.arches[0]).toBe('x86_64/x32');
  });

  test('a program outside libseccomp shape is summarised without the lift', () => {
    // ld [8] (instruction pointer), ret ALLOW: the lifter does not read instruction-pointer loads.
    const prog = [
      { code: 0x20, jt: 0, jf: 0, k: 4 },
      { code: 0x15, jt: 0, jf: 2, k: 0xc000003e },
      { code: 0x20, jt: 0, jf: 0, k: 8 },
      { code: 0x15, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
    ];
    const s = summarizeFilter(prog, 0);
    expect(s.argumentFiltered).toBeUndefined();
    expect(s.defaultAction).toBe('ALLOW');
  });
});
