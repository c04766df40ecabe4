/**
 * The import-boundary rule of eslint.config.js (the layer order of docs/architecture.md): ESLint,
 * run with the project's own configuration on real files of src/ whose text is replaced by one
 * import, reports every upward or sideways import and lets every downward one pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: ROOT });
/** The folders of src/: each one a layer. */
const LAYER_DIRS = readdirSync(`${ROOT}src`, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/** The messages of the boundary rule for `code` linted as if it were `file`. */
async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  if (result === undefined) throw new Error(`ESLint returned no result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal === true);
  expect(fatal).toEqual([]);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries', () => {
  test.each([
    [
      'an upward import (compile -> run)',
      'src/compile/plan.ts',
      '../run/probe.js',
      /compile may import only lower layers/,
    ],
    [
      'an upward import two folders down (profile/convert -> run)',
      'src/profile/convert/c.ts',
      '../../run/probe.js',
      /profile may import only lower layers/,
    ],
    [
      'the lowest layer importing any other (document -> arch)',
      'src/document/source.ts',
      '../arch/arches.js',
      /document may import only lower layers \(none\)/,
    ],
    [
      'a sideways import between arch and bpf',
      'src/arch/arches.ts',
      '../bpf/instruction.js',
      /arch may import only lower layers/,
    ],
    [
      'a sideways import between suite and diagnose',
      'src/suite/junit.ts',
      '../diagnose/doctor.js',
      /suite may import only lower layers/,
    ],
    [
      'a layer importing the public API',
      'src/generate/merge.ts',
      '../index.js',
      /generate may import only lower layers/,
    ],
    [
      'src/ code importing a test helper',
      'src/run/probe.ts',
      '../../test/oracle/kernel.js',
      /does not import tests/,
    ],
    [
      'a command importing another command',
      'src/cli/commands/asm.ts',
      './disasm.js',
      /does not import another command/,
    ],
    [
      'the library API importing the CLI',
      'src/index.ts',
      './cli/main.js',
      /does not import the CLI/,
    ],
  ])('%s is an error', async (_what, file, specifier, message) => {
    const messages = await boundaryMessages(file, `export * from '${specifier}';\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });

  test.each([
    ['a downward import (compile -> arch)', 'src/compile/plan.ts', '../arch/arches.js'],
    ['a downward import (suite -> run)', 'src/suite/junit.ts', '../run/probe.js'],
    ['an import inside the layer', 'src/profile/convert/c.ts', '../resolve.js'],
    [
      'a test beside the code importing a testkit',
      'src/compile/compile.test.ts',
      '../../test/integration/codegen.testkit.js',
    ],
    ['a command importing the shared CLI modules', 'src/cli/commands/asm.ts', '../host.js'],
  ])('%s passes', async (_what, file, specifier) => {
    expect(await boundaryMessages(file, `export * from '${specifier}';\n`)).toEqual([]);
  });

  test('a layer not created yet is already covered (runc)', async () => {
    const config = (await eslint.calculateConfigForFile('src/runc/rules.ts')) as {
      rules: Record<string, [string, { patterns: { regex: string }[] }]>;
    };
    const patterns = config.rules['no-restricted-imports']?.[1].patterns ?? [];
    const restricted = (s: string): boolean => patterns.some((p) => new RegExp(p.regex).test(s));
    expect(restricted('../compile/plan.js')).toBe(true);
    expect(restricted('../profile/types.js')).toBe(false);
  });

  test.each(LAYER_DIRS)(
    'src/%s/ is a layer the rule knows and docs/architecture.md describes',
    async (dir) => {
      const config = (await eslint.calculateConfigForFile(`src/${dir}/index.ts`)) as {
        rules: Record<string, unknown>;
      };
      expect(config.rules['no-restricted-imports']).toBeDefined();
      expect(readFileSync(`${ROOT}docs/architecture.md`, 'utf8')).toContain(`\`src/${dir}/\``);
    },
  );
});
