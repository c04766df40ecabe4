/**
 * The command registry: every command module exports `register(program)`.
 * Add one import and one entry per command; keep the list sorted by name.
 */
import type { Command } from 'commander';
import * as advise from './advise.js';
import * as asm from './asm.js';
import * as ci from './ci.js';
import * as compile from './compile.js';
import * as convert from './convert.js';
import * as demo from './demo.js';
import * as deploy from './deploy.js';
import * as diff from './diff.js';
import * as disasm from './disasm.js';
import * as doctor from './doctor.js';
import * as drift from './drift.js';
import * as explain from './explain.js';
import * as fmt from './fmt.js';
import * as generate from './generate.js';
import * as image from './image.js';
import * as inspect from './inspect.js';
import * as lint from './lint.js';
import * as merge from './merge.js';
import * as monitor from './monitor.js';
import * as record from './record.js';
import * as report from './report.js';
import * as resolve from './resolve.js';
import * as rollout from './rollout.js';
import * as run from './run.js';
import * as score from './score.js';
import * as syscalls from './syscalls.js';
import * as test from './test.js';
import * as validate from './validate.js';
import * as verify from './verify.js';
import * as violations from './violations.js';

/** A command module. */
export interface CommandModule {
  /** Adds the command (with its options, help text and examples) to the program. */
  register: (program: Command) => void;
}

/** All command modules, in the order `--help` lists them. */
export const commands: readonly CommandModule[] = [
  advise,
  asm,
  ci,
  compile,
  convert,
  demo,
  deploy,
  diff,
  disasm,
  doctor,
  drift,
  explain,
  fmt,
  generate,
  image,
  inspect,
  lint,
  merge,
  monitor,
  record,
  report,
  resolve,
  rollout,
  run,
  score,
  syscalls,
  test,
  validate,
  verify,
  violations,
];
