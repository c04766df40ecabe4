import { describe, expect, test } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

describe('cli', () => {
  test('every command has a description and examples in its help', () => {
    const program = buildProgram();
    expect(program.commands.length).toBeGreaterThan(0);
    for (const c of program.commands) {
      expect(c.description(), c.name()).not.toBe('');
    }
  });
});
