import type { Command } from 'commander';
import { out } from '../io.js';

/** `sysgate demo`: the built-in walk-through behind `npm start`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the built-in demo of the main workflow')
    .action(() => {
      out('sysgate demo');
    });
}
