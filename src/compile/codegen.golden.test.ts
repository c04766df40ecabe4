import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { archInfo } from '../arch/arches.js';
import type { ArchName } from '../arch/types.js';
import { disassemble } from '../bpf/disasm.js';
import { execute } from '../bpf/emulate.js';
import { parseProfile } from '../profile/parse.js';
import { resolveProfile } from '../profile/resolve.js';
import { planProbes } from '../../test/integration/codegen.testkit.js';
import { compileProfile } from './compile.js';
import { symbolicAnnotator } from './explain.js';
import { decide } from './decide.js';

const root = resolve(import.meta.dirname, '../..');
const FIXTURES: readonly (readonly [string, ArchName])[] = [
  ['small-allowlist', 'x86_64'],
  ['denylist-aarch64', 'aarch64'],
  ['masked-s390x', 's390x'],
];

describe('golden disassembly of fixture profiles', () => {
  for (const [name, arch] of FIXTURES) {
    test(name, async () => {
      const file = resolve(root, 'test/fixtures/compile', `${name}.json`);
      const lp = parseProfile(readFileSync(file, 'utf8'), file);
      const r = resolveProfile(lp.profile, { arch, caps: [], kernel: { major: 6, minor: 1 } });
      if (r === null) throw new Error('seccomp off');
      for (const optimize of [true, false]) {
        const c = compileProfile(r, { arch, optimize, stats: false });
        const endian = archInfo(arch).endian;
        // The listing is only worth keeping if the program decides like the model.
        for (const d of planProbes(c.plan, 16))
          expect(execute(c.program, d, endian).ret).toBe(decide(c.plan, d).value);
        const text = disassemble(c.program, { endian, annotate: symbolicAnnotator() });
        await expect(text).toMatchFileSnapshot(
          resolve(root, 'test/golden/compile', `${name}${optimize ? '' : '.linear'}.disasm`),
        );
      }
    });
  }
});
