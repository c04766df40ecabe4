/**
 * The import-boundary rule of eslint.config.js (the layer order of docs/architecture.md): ESLint,
 * run with the project's own configuration on real files of src/ (picked when the test runs, so
 * files may move) whose text is replaced by one import, reports every upward or sideways import and
 * lets every downward one pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: ROOT });
/** The folders of src/: each one a layer. */
const LAYER_DIRS = readdirSync(`${ROOT}src`, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/**
 * A file of src/`folder`, `depth` folders below src/ (1: directly in the layer's folder), that is a
 * test or not, as a path relative to the root.
 */
function sourceFile(folder: string, depth: number, test: boolean, except = ''): string {
  const isTest = (name: string): boolean => /\.(?:test|itest|testkit)\.ts$/.test(name);
  const walk = (dir: string, level: number): string | undefined => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((x, y) =>
      x.name.localeCompare(y.name),
    );
    for (const e of entries) {
      const path = join(dir, e.name);
      if (level === depth && e.isFile() && e.name.endsWith('.ts') && isTest(e.name) === test) {
        if (e.name !== except) return relative(ROOT, path);
      }
      if (level < depth && e.isDirectory()) {
        const found = walk(path, level + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  const found = walk(join(ROOT, 'src', folder), folder.split('/').length);
  if (found === undefined)
    throw new Error(`no ${test ? 'test' : 'source'} file ${depth} deep in src/${folder}`);
  return found;
}

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
      ['compile', 1],
      '../run/probe.js',
      /compile may import only lower layers/,
    ],
    [
      'an upward import two folders down (profile/... -> run)',
      ['profile', 2],
      '../../run/probe.js',
      /profile may import only lower layers/,
    ],
    [
      'an upward import (runc -> compile)',
      ['runc', 1],
      '../compile/plan.js',
      /runc may import only lower layers/,
    ],
    [
      'the lowest layer importing any other (document -> arch)',
      ['document', 1],
      '../arch/arches.js',
      /document may import only lower layers \(none\)/,
    ],
    [
      'a sideways import between arch and bpf',
      ['arch', 1],
      '../bpf/instruction.js',
      /arch may import only lower layers/,
    ],
    [
      'a sideways import between suite and diagnose',
      ['suite', 1],
      '../diagnose/doctor.js',
      /suite may import only lower layers/,
    ],
    [
      'a layer importing the public API',
      ['generate', 1],
      '../index.js',
      /generate may import only lower layers/,
    ],
    [
      'src/ code importing a test helper',
      ['run', 1],
      '../../test/oracle/kernel.js',
      /does not import tests/,
    ],
    [
      'a command importing another command',
      ['cli/commands', 2, 'index.ts'],
      './disasm.js',
      /does not import another command/,
    ],
  ] as const)('%s is an error', async (_what, [folder, depth, except], specifier, message) => {
    const file = sourceFile(folder, depth, false, except);
    const messages = await boundaryMessages(file, `export * from '${specifier}';\n`);
    expect(messages, file).toHaveLength(1);
    expect(messages[0]).toMatch(message);
  });

  test('the library API importing the CLI is an error', async () => {
    const messages = await boundaryMessages('src/index.ts', "export * from './cli/main.js';\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/does not import the CLI/);
  });

  test.each([
    ['a downward import (compile -> arch)', ['compile', 1, false], '../arch/arches.js'],
    ['a downward import (suite -> run)', ['suite', 1, false], '../run/probe.js'],
    ['an import inside the layer, two folders down', ['profile', 2, false], '../index.js'],
    [
      'a test beside the code importing a testkit',
      ['compile', 1, true],
      '../../test/integration/codegen.testkit.js',
    ],
    ['a command importing the shared CLI modules', ['cli/commands', 2, false], '../host.js'],
  ] as const)('%s passes', async (_what, [folder, depth, isTest], specifier) => {
    const file = sourceFile(folder, depth, isTest, 'index.ts');
    expect(await boundaryMessages(file, `export * from '${specifier}';\n`), file).toEqual([]);
  });

  test('files in deeper folders are covered too', async () => {
    const config = (await eslint.calculateConfigForFile('src/compile/a/b/c/file.ts')) as {
      rules: Record<string, [string, { patterns: { regex: string }[] }]>;
    };
    const patterns = config.rules['no-restricted-imports']?.[1].patterns ?? [];
    const restricted = (s: string): boolean => patterns.some((p) => new RegExp(p.regex).test(s));
    expect(restricted('../../../../run/probe.js')).toBe(true);
    expect(restricted('../../../../arch/arches.js')).toBe(false);
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
