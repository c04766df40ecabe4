/**
 * The command registry: one entry per command, its name and how to load it. A command's module (which
 * registers its options, help text and action) is imported only when that command runs or its help is
 * asked for; `sysgate --help` lists every command from `manifest.ts` (generated from the modules, kept
 * equal by test/cli/help.test.ts). Add one entry per command, sorted by name, then regenerate the
 * manifest (`npx tsx scripts/cli-manifest.ts`).
 */
import type { Command } from 'commander';

/** A command module. */
export interface CommandModule {
  /** Adds the command (with its options, help text and examples) to the program. */
  register: (program: Command) => void;
}

/** A command's name and the import of its module. */
export interface CommandEntry {
  /** The command's name, as typed. */
  readonly name: string;
  /** Imports the module that registers the command. */
  readonly load: () => Promise<CommandModule>;
}

/** All commands, in the order `--help` lists them. */
export const commands: readonly CommandEntry[] = [
  { name: 'advise', load: () => import('./advise.js') },
  { name: 'asm', load: () => import('./asm.js') },
  { name: 'ci', load: () => import('./ci.js') },
  { name: 'compile', load: () => import('./compile.js') },
  { name: 'convert', load: () => import('./convert.js') },
  { name: 'demo', load: () => import('./demo.js') },
  { name: 'deploy', load: () => import('./deploy.js') },
  { name: 'diff', load: () => import('./diff.js') },
  { name: 'disasm', load: () => import('./disasm.js') },
  { name: 'doctor', load: () => import('./doctor.js') },
  { name: 'drift', load: () => import('./drift.js') },
  { name: 'explain', load: () => import('./explain.js') },
  { name: 'fmt', load: () => import('./fmt.js') },
  { name: 'generate', load: () => import('./generate.js') },
  { name: 'image', load: () => import('./image.js') },
  { name: 'inspect', load: () => import('./inspect.js') },
  { name: 'lint', load: () => import('./lint.js') },
  { name: 'merge', load: () => import('./merge.js') },
  { name: 'monitor', load: () => import('./monitor.js') },
  { name: 'record', load: () => import('./record.js') },
  { name: 'report', load: () => import('./report.js') },
  { name: 'resolve', load: () => import('./resolve.js') },
  { name: 'rollout', load: () => import('./rollout.js') },
  { name: 'run', load: () => import('./run.js') },
  { name: 'score', load: () => import('./score.js') },
  { name: 'syscalls', load: () => import('./syscalls.js') },
  { name: 'test', load: () => import('./test.js') },
  { name: 'validate', load: () => import('./validate.js') },
  { name: 'verify', load: () => import('./verify.js') },
  { name: 'violations', load: () => import('./violations.js') },
];
