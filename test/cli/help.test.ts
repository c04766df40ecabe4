import { describe, expect, test } from 'vitest';
import { buildProgram, commandHelp, programFor, targetCommand } from '../../src/cli/main.js';
import { COMMAND_HELP } from '../../src/cli/commands/manifest.js';
import { commands } from '../../src/cli/commands/index.js';

describe('cli', () => {
  test('every command has a description and examples in its help', async () => {
    const program = await buildProgram();
    expect(program.commands.length).toBeGreaterThan(0);
    for (const c of program.commands) {
      expect(c.description(), c.name()).not.toBe('');
      expect(c.helpInformation(), c.name()).toMatch(/\S/);
    }
  });

  test('the manifest is what the command modules register (else: npx tsx scripts/cli-manifest.ts)', async () => {
    expect(COMMAND_HELP).toEqual(commandHelp(await buildProgram()));
  });

  test('each module registers the command its registry entry names', async () => {
    const program = await buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(commands.map((c) => c.name));
  });

  test.each([[[]], [['--help']], [['compile', '-o', 'x']], [['help', 'explain']], [['nosuch']]])(
    'the lazily built program for %j lists every command exactly as the full one',
    async (argv) => {
      const full = await buildProgram();
      const lazy = await programFor(argv);
      expect(lazy.helpInformation()).toBe(full.helpInformation());
      expect(lazy.commands.map((c) => c.name())).toEqual(full.commands.map((c) => c.name()));
    },
  );

  test.each([
    [['compile', 'p.json'], 'compile'],
    [['help', 'explain'], 'explain'],
    [['--help'], undefined],
    [['--version'], undefined],
    [['nosuch', 'compile'], undefined],
  ] as const)('targetCommand(%j) = %s', (argv, want) => {
    expect(targetCommand(argv)).toBe(want);
  });

  test('only the named command is loaded for real; the others are stubs with no options', async () => {
    const program = await programFor(['explain', 'x.json', 'getpid']);
    const loaded = program.commands.filter((c) => c.options.length > 0).map((c) => c.name());
    expect(loaded).toEqual(['explain']);
  });
});
