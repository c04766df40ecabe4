import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { mergeEvidence, mergeProfiles, readEvidence, writeEvidence } from '../../generate/index.js';
import { writeProfile } from '../../profile/index.js';
import { loadForRunc } from '../../runc/index.js';
import { err, readInput, writeOutput } from '../io.js';
import { describeProfile } from '../generate-options.js';

interface MergeOptions {
  output?: string;
}

/** `sysgate merge A B ...`: union of profiles, or of evidence files with per-syscall coverage. */
export function register(program: Command): void {
  program
    .command('merge')
    .description(
      'merge profiles (union of what they allow, argument rules kept) or evidence files (counts summed, coverage per syscall)',
    )
    .argument('<file...>', "profiles or evidence files, not mixed ('-' for stdin, once)")
    .option('-o, --output <file>', 'write the result to FILE (atomically) instead of stdout')
    .addHelpText(
      'after',
      `
Profiles: a syscall is allowed when any input allows it, unconditionally only when some input
allows it unconditionally; otherwise the inputs' argument rules are all kept. The default action
is the most restrictive one; architectures are united. Evidence: per syscall, counts, errors and
argument values are summed and coverage says how many inputs saw it.

Examples:
  sysgate merge python.json node.json git.json -o workspace.json
  sysgate merge replica-1.evidence.json replica-2.evidence.json -o all.evidence.json
  sysgate generate --from all.evidence.json -o workspace.json`,
    )
    .action((files: string[], opts: MergeOptions) => {
      if (files.filter((f) => f === '-').length > 1) throw new UsageError("'-' can be given once");
      const texts = files.map((f) => ({ file: f, text: readInput(f) }));
      const isEvidence = texts.map(({ text }) => /"format"\s*:\s*"sysgate-evidence"/.test(text));
      if (isEvidence.every(Boolean)) {
        const merged = mergeEvidence(texts.map(({ file, text }) => readEvidence(text, file)));
        writeOutput(opts.output ?? '-', writeEvidence(merged));
        const full = merged.syscalls.filter((s) => s.coverage >= merged.meta.inputs).length;
        err(
          `${merged.meta.inputs} input(s): ${merged.syscalls.length} syscalls, ${full} seen by every input`,
        );
        return;
      }
      if (isEvidence.some(Boolean))
        throw new UsageError(
          'cannot merge profiles with evidence files: merge each kind apart, or generate from the evidence first',
        );
      const merged = mergeProfiles(texts.map(({ file, text }) => loadForRunc(file, text).profile));
      writeOutput(opts.output ?? '-', writeProfile(merged));
      err(`${files.length} profiles merged: ${describeProfile(merged)}`);
    });
}
