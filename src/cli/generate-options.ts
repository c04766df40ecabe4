/**
 * What every generating command shares (`generate`, `record`, `merge`, `advise`): the generation
 * options, turning them into library options, rendering and describing a generated profile, and
 * reading `--from` inputs as evidence.
 */
import type { Command } from 'commander';
import { archByScmpName, archInfo, type ArchName } from '../arch/index.js';
import { UsageError } from '../document/errors.js';
import {
  generateReport,
  GUARD_COMMENT_PREFIX,
  partialCoverage,
  WIDEN_MODES,
  type WidenMode,
  type Widening,
  targetAbis,
  ingest,
  mergeEvidence,
  type Evidence,
  type GenerateOptions,
  type GenerateResult,
} from '../generate/index.js';
import { writeProfile, type Profile } from '../profile/index.js';
import { checkForRunc } from '../runc/index.js';
import { parseArchOption } from './host.js';
import { hostLibseccomp } from './host.js';
import { err } from './io.js';
import { withProvenance } from '../generate/provenance.js';
import { addPolicyOptions, policyOptionsFrom, type PolicyCliOptions } from './policy-options.js';

/** The generation options every generating command takes. */
export interface GenerateCliOptions extends PolicyCliOptions {
  mode?: string;
  target?: string;
  errno?: string;
  arch?: string;
  allAbis?: boolean;
  widen?: string;
}

/**
 * Add `--mode`, `--target`, `--errno`, `--arch`, `--all-abis` and the policy controls (`--deny`,
 * `--socket-families`) to a command.
 */
export function addGenerateOptions(cmd: Command): Command {
  return addPolicyOptions(cmd)
    .option(
      '--mode <mode>',
      'enforce (default ERRNO), audit (default LOG, critical syscalls still refused) or kill (default KILL_PROCESS)',
      'enforce',
    )
    .option(
      '--target <target>',
      'docker (adds what runc and crun do after loading the filter, so the profile works under every engine) or bare (tighter, only for a filter loaded right before the workload, e.g. bubblewrap)',
      'docker',
    )
    .option('--errno <name>', 'errno for refused calls in enforce mode: EPERM or ENOSYS', 'EPERM')
    .option(
      '--arch <arch>',
      'architecture the profile is for (default: the recorded host); names are mapped across tables',
    )
    .option(
      '--all-abis',
      'keep every ABI the kernel runs (x86 and x32 on x86_64), not only the native one and those the workload was seen using',
    )
    .option(
      '--widen <mode>',
      'beyond the recorded calls: none (exactly what was seen), safe (also the equivalent calls libc or another ABI picks for the same request: nanosleep/clock_nanosleep, stat/newfstatat/statx, poll/ppoll, dup/dup2/dup3...), families (also the companions of code paths seen in part: kill for a process that reaps children, sleep for a shell, ftruncate for a synced writer); never a critical or high-risk call, never a wider argument rule',
      'safe',
    );
}

/** Turn the CLI's generation options into library options. */
export function generateOptionsFrom(opts: GenerateCliOptions): GenerateOptions {
  const mode = opts.mode ?? 'enforce';
  if (mode !== 'enforce' && mode !== 'audit' && mode !== 'kill')
    throw new UsageError(`--mode must be enforce, audit or kill, not '${mode}'`);
  const target = opts.target ?? 'docker';
  if (target !== 'bare' && target !== 'docker')
    throw new UsageError(`--target must be bare or docker, not '${target}'`);
  const errno = (opts.errno ?? 'EPERM').toUpperCase();
  if (errno !== 'EPERM' && errno !== 'ENOSYS')
    throw new UsageError(`--errno must be EPERM or ENOSYS, not '${opts.errno ?? ''}'`);
  const widen = opts.widen ?? 'safe';
  if (!(WIDEN_MODES as readonly string[]).includes(widen))
    throw new UsageError(`--widen must be none, safe or families, not '${widen}'`);
  return {
    mode,
    target,
    errno,
    widen: widen as WidenMode,
    ...(opts.arch !== undefined ? { arch: parseArchOption(opts.arch).name } : {}),
    ...(opts.allAbis === true ? { allAbis: true } : {}),
    ...policyOptionsFrom(opts),
    libseccomp: hostLibseccomp(),
  };
}

/**
 * Generate, check (an error would be a sysgate bug) and serialise a profile, with what the policy
 * controls overrode and the refused names.
 */
export function renderGenerated(
  evidence: Evidence,
  opts: GenerateOptions,
): GenerateResult & { text: string } {
  const result = generateReport(evidence, opts);
  const { profile } = result;
  const errors = checkForRunc(profile).filter((i) => i.severity === 'error');
  if (errors.length > 0)
    throw new Error(
      `generated profile fails the checker: ${errors.map((e) => e.message).join('; ')}`,
    );
  const withOrigin = withProvenance(profile, evidence.meta.provenance ?? []);
  return { ...result, profile: withOrigin, text: writeProfile(withOrigin) };
}

/** One line describing a generated profile, for stderr. */
export function describeProfile(profile: Profile): string {
  const allowed = new Set(
    profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names),
  );
  const abis = profile.architectures.map((a) => archByScmpName(a)?.name ?? a);
  return `${allowed.size} syscalls allowed in ${profile.syscalls.length} rules, default ${profile.defaultAction ?? 'none'}, ABIs ${abis.join(', ')}`;
}

/**
 * Notes on what generation left out or refused and why: the ABIs the evidence never showed (so the
 * kernel refuses int $0x80 and x32 calls), and the multiplexers refused so argument filters hold.
 */
export function generationNotes(profile: Profile, opts: GenerateOptions, host: ArchName): string[] {
  const kept = new Set(profile.architectures);
  const left = targetAbis(opts.arch ?? host).filter((a) => !kept.has(archInfo(a).scmpName));
  const notes: string[] = [];
  if (left.length > 0)
    notes.push(
      `note: ABIs ${left.join(', ')} left out: the workload never used them (--all-abis keeps them)`,
    );
  for (const r of profile.syscalls)
    if (r.comment?.startsWith(GUARD_COMMENT_PREFIX) === true)
      notes.push(
        `note: ${r.names.join(', ')} refused: ${r.comment.slice(GUARD_COMMENT_PREFIX.length)}`,
      );
  return notes;
}

/**
 * Warnings and notes about what the profile allows beyond, or on less than, the evidence: the
 * syscalls seen in only some inputs (kept, flagged in their comment) and the calls widening added.
 */
export function coverageNotes(evidence: Evidence, widened: readonly Widening[]): string[] {
  const notes = partialCoverage(evidence).map(
    (p) =>
      `warning: ${p.name}${p.abi === evidence.host ? '' : ` (${p.abi})`} seen in only ${p.seen} of ${p.of} inputs: allowed, but the runs take different paths; record more runs (--runs) to find its neighbours`,
  );
  if (widened.length > 0) {
    const fam = widened.filter((w) => w.kind === 'family').map((w) => w.name);
    const comp = widened.filter((w) => w.kind === 'companion').map((w) => w.name);
    notes.push(
      `note: widened by ${widened.length} call(s) not recorded (--widen none leaves them out)${fam.length > 0 ? `; equivalents: ${fam.join(', ')}` : ''}${comp.length > 0 ? `; companions: ${comp.join(', ')}` : ''}`,
    );
  }
  return notes;
}

/** Evidence with the calls widening added, labelled with their reasons (see evidence.ts `widened`). */
export function labelWidened(evidence: Evidence, widened: readonly Widening[]): Evidence {
  return widened.length === 0 ? evidence : { ...evidence, widened };
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
