import type { Command } from 'commander';
import { resolveArch, type ArchName } from '../../arch/index.js';
import { UsageError } from '../../errors.js';
import {
  generateProfile,
  ingest,
  mergeEvidence,
  writeEvidence,
  type Evidence,
  type GenerateOptions,
} from '../../generate/index.js';
import { checkProfile, writeProfile, type Profile } from '../../profile/index.js';
import { err, writeOutput } from '../io.js';
import { hostArch } from './syscalls.js';

/** The generation options every generating command takes. */
export interface GenerateCliOptions {
  mode?: string;
  target?: string;
  errno?: string;
  arch?: string;
}

/** Add `--mode`, `--target`, `--errno` and `--arch` to a command. */
export function addGenerateOptions(cmd: Command): Command {
  return cmd
    .option(
      '--mode <mode>',
      'enforce (default ERRNO), audit (default LOG, critical syscalls still refused) or kill (default KILL_PROCESS)',
      'enforce',
    )
    .option(
      '--target <target>',
      'bare (loaded right before the workload, e.g. bubblewrap) or docker (adds what runc needs after loading the filter)',
      'bare',
    )
    .option('--errno <name>', 'errno for refused calls in enforce mode: EPERM or ENOSYS', 'EPERM')
    .option(
      '--arch <arch>',
      'architecture the profile is for (default: the recorded host); names are mapped across tables',
    );
}

/** Turn the CLI's generation options into library options. */
export function generateOptionsFrom(opts: GenerateCliOptions): GenerateOptions {
  const mode = opts.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'audit' && mode !== 'kill')
    throw new UsageError(`--mode must be enforce, audit or kill, not '${mode}'`);
  const target = opts.target ?? 'bare';
  if (target !== 'bare' && target !== 'docker')
    throw new UsageError(`--target must be bare or docker, not '${target}'`);
  const errno = (opts.errno ?? 'EPERM').toUpperCase();
  if (errno !== 'EPERM' && errno !== 'ENOSYS')
    throw new UsageError(`--errno must be EPERM or ENOSYS, not '${opts.errno ?? ''}'`);
  return {
    mode,
    target,
    errno,
    ...(opts.arch !== undefined ? { arch: resolveArch(opts.arch).name } : {}),
  };
}

/** Generate, check (an error would be a sysgate bug) and serialise a profile. */
export function renderGenerated(
  evidence: Evidence,
  opts: GenerateOptions,
): { profile: Profile; text: string } {
  const profile = generateProfile(evidence, opts);
  const errors = checkProfile(profile).filter((i) => i.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `generated profile fails the checker: ${errors.map((e) => e.message).join('; ')}`,
    );
  return { profile, text: writeProfile(profile) };
}

/** One line describing a generated profile, for stderr. */
export function describeProfile(profile: Profile): string {
  const allowed = new Set(
    profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
  );
  return `${allowed.size} syscalls allowed in ${profile.syscalls.length} rules, default ${profile.defaultAction ?? 'none'}`;
}

/** Read every `--from` input (`-` is stdin) as evidence and merge them. */
export async function readInputsAsEvidence(
  files: readonly string[],
  host: ArchName,
): Promise<Evidence> {
  const list: Evidence[] = [];
  let warnings = 0;
  for (const f of files) {
    const src =
      f === '-' ? { name: '-', stream: process.stdin as AsyncIterable<Buffer> } : { name: f };
    list.push(
      await ingest(src, {
        host,
        onWarning: (m) => {
          warnings++;
          if (warnings <= 10) err(`warning: ${m}`);
        },
      }),
    );
  }
  if (warnings > 10) err(`warning: ${warnings - 10} more warnings`);
  return mergeEvidence(list);
}

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
