import type { Command } from 'commander';
import { resolveArch } from '../../arch/index.js';
import { UsageError } from '../../document/errors.js';
import { writeEvidence } from '../../generate/index.js';
import {
  addGenerateOptions,
  describeProfile,
  generateOptionsFrom,
  readInputsAsEvidence,
  renderGenerated,
  type GenerateCliOptions,
} from '../generate-options.js';
import { err, writeOutput } from '../io.js';
import { hostArch } from '../../arch/host.js';

interface GenerateCmdOptions extends GenerateCliOptions {
  from?: string[];
  output?: string;
  evidence?: string;
  host?: string;
}

/** `sysgate generate --from FILE...`: a least-privilege profile from existing traces, logs or evidence. */
export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description(
      'generate a least-privilege profile from strace logs (-f, -ff files or a directory of them, -c tables), seccomp audit logs or evidence files',
    )
    .requiredOption('--from <file...>', "inputs ('-' for stdin); the kind of each is detected")
    .option('-o, --output <file>', 'write the profile to FILE (atomically) instead of stdout')
    .option('--evidence <file>', 'also write the merged evidence (JSON) to FILE')
    .option(
      '--host <arch>',
      'native arch of the machine the inputs were recorded on (default: this one)',
    );
  addGenerateOptions(cmd).addHelpText(
    'after',
    `
Every allowed syscall comes from the inputs; socket is allowed only for the families seen, clone
only without namespace flags unless they were seen, personality only for the values seen, clone3
is answered with ENOSYS so libc falls back to clone, and the critical syscalls are listed in an
explicit refusal block. Several inputs are merged (per-syscall coverage = how many saw it).
Garbage or truncated lines are warnings with their line number.

Examples:
  strace -f -o app.strace python3 app.py && sysgate generate --from app.strace -o profile.json
  sysgate generate --from traces/ --target docker --evidence evidence.json -o profile.json
  sysgate generate --from run1.json run2.json --mode audit
  journalctl -k | sysgate generate --from - -o from-audit.json`,
  );
  cmd.action(async (opts: GenerateCmdOptions) => {
    const gen = generateOptionsFrom(opts);
    const host = opts.host === undefined ? hostArch() : resolveArch(opts.host).name;
    const evidence = await readInputsAsEvidence(opts.from ?? [], host);
    if (evidence.syscalls.length === 0) throw new UsageError('the inputs hold no syscalls');
    const { profile, text } = renderGenerated(evidence, gen);
    if (opts.evidence !== undefined) writeOutput(opts.evidence, writeEvidence(evidence));
    writeOutput(opts.output ?? '-', text);
    err(
      `${evidence.totals.calls} calls, ${evidence.syscalls.length} syscalls from ${evidence.meta.inputs} input(s); ${describeProfile(profile)}`,
    );
  });
}
