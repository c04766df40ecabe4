import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import regexp from 'eslint-plugin-regexp';

/**
 * The layers of src/, lowest first (docs/architecture.md). A file may import its own layer and the
 * layers of earlier rows only; layers in one row do not import each other. `src/index.ts` (the public
 * API) may import every layer but `cli`. Layers not created yet are listed so the rule holds when
 * they appear.
 */
const LAYERS = [
  ['document'],
  ['arch', 'bpf'],
  ['kb'],
  ['profile'],
  ['runc'],
  ['compile'],
  ['trace'],
  ['generate'],
  ['run'],
  ['suite', 'diagnose', 'operate'],
  ['review'],
  ['report', 'deploy'],
  ['cli'],
];
/** Deepest folder nesting under a layer the rule covers (src/LAYER/a/b/c/d/file.ts). */
const MAX_DEPTH = 5;
const TEST_FILES = ['**/*.test.ts', '**/*.itest.ts', '**/*.testkit.ts'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex for import specifiers that, from `depth` folders below src/, reach one of `targets`. */
function reaches(depth, targets) {
  const up = depth === 0 ? '\\./' : `(?:\\.\\./){${depth}}`;
  return `^${up}(?:${targets.map(escape).join('|')})(?:/|\\.js$)`;
}

/** The `no-restricted-imports` patterns of one layer's files at one folder depth below src/. */
function layerPatterns(layer, depth, isTest) {
  const row = LAYERS.findIndex((r) => r.includes(layer));
  const above = LAYERS.slice(row + 1).flat();
  const beside = LAYERS[row].filter((l) => l !== layer);
  const targets = [...above, ...beside];
  const patterns = [];
  if (targets.length > 0)
    patterns.push({
      regex: reaches(depth, [...targets, 'index']),
      message: `${layer} may import only lower layers (${LAYERS.slice(0, row).flat().join(', ') || 'none'}); see docs/architecture.md`,
    });
  if (!isTest)
    patterns.push({
      regex: `^(?:\\.\\./){${depth + 1}}(?:test|bench)/`,
      message: 'code in src/ does not import tests or benchmarks',
    });
  return patterns;
}

/** One config block per layer, folder depth and test-or-not (each file gets exactly one). */
function layerBoundaries() {
  const blocks = [];
  const add = (files, ignores, patterns) =>
    blocks.push({ files, ignores, rules: { 'no-restricted-imports': ['error', { patterns }] } });
  for (const layer of LAYERS.flat()) {
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const files = [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`];
      add(files, TEST_FILES, layerPatterns(layer, depth, false));
      add(
        files.map((f) => f.replace(/\*\.ts$/, '*.{test,itest,testkit}.ts')),
        [],
        layerPatterns(layer, depth, true),
      );
    }
  }
  add(
    ['src/index.ts'],
    [],
    [
      { regex: reaches(0, ['cli']), message: 'the library API does not import the CLI' },
      {
        regex: '^\\.\\./(?:test|bench)/',
        message: 'code in src/ does not import tests or benchmarks',
      },
    ],
  );
  // A command imports only the CLI's shared modules (src/cli/*.ts) and lower layers, never another command.
  add(
    ['src/cli/commands/*.ts'],
    ['src/cli/commands/index.ts', ...TEST_FILES],
    [
      ...layerPatterns('cli', 2, false),
      {
        regex: '^\\./',
        message: 'a command does not import another command; share through src/cli/*.ts',
      },
    ],
  );
  return blocks;
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'src/arch/generated/**',
      '**/*.js',
      '**/*.mjs',
      'vitest.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  regexp.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allow: [{ from: 'lib', name: 'bigint' }] },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='exit']",
          message: 'only cli/ exits',
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', '**/*.test.ts', '**/*.itest.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  ...layerBoundaries(),
);
