import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { pickEngine } from '../../run/detect.js';
import { DEFAULT_DOCTOR_RUNS, diagnose, type Diagnosis } from '../../diagnose/doctor.js';
import { describeExit } from '../../suite/suite-run.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, loadPolicy, policyFromText, type HostOptions } from '../host.js';
import { out, outJson, paint, toJson, writeOutput } from '../io.js';
import { refusedCallLine } from '../refused-call.js';
import { DEFAULT_DOCTOR_TIMEOUT_SECONDS } from '../../run/limits.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';

interface DoctorCliOptions extends HostOptions, SandboxCliOptions {
  readonly profile?: string;
  readonly json?: boolean;
  readonly runs?: string;
  readonly output?: string;
}

function parseRuns(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DOCTOR_RUNS;
  if (!/^[1-9]\d{0,2}$/.test(text))
    throw new UsageError(`--runs must be a whole number from 1 to 999, not '${text}'`);
  return Number(text);
}

/** The diagnosis as text. */
function printText(engine: string, label: string, d: Diagnosis): void {
  const confined = d.confined.runs > 1 ? ` (in run ${d.confined.runs})` : '';
  const unconfined =
    d.unconfinedExits.length === 0 ? '' : `; without seccomp: exit ${d.unconfinedExits.join(', ')}`;
  out(
    `under ${label} on ${engine}: ${describeExit(d.underProfile)}${d.verdict === 'succeeds' ? '' : confined}${unconfined}`,
  );
  for (const f of d.fallbacks)
    out(
      `  ${f.name}: ${f.action} on purpose (${f.count} call(s)): libc falls back to ${f.fallback}, not a cause`,
    );
  switch (d.verdict) {
    case 'succeeds':
      out(
        paint(
          'green',
          `the workload succeeds under the profile (${d.confined.runs} run(s), none failed)`,
        ),
      );
      break;
    case 'undetermined':
      out(
        paint(
          'yellow',
          'the workload fails under the profile and passes without it, but no refused call was seen: rerun with more --runs',
        ),
      );
      break;
    case 'not-seccomp': {
      out(
        paint(
          'yellow',
          `seccomp is not the cause: the workload fails without seccomp in the same ${engine} sandbox too (exit ${d.unconfinedExit})`,
        ),
      );
      if (d.failedWithoutSeccomp.length > 0) out('what failed without seccomp (latest first):');
      for (const f of d.failedWithoutSeccomp)
        out(
          `  ${f.kind}: ${f.name}${f.path === undefined ? '' : ` ${JSON.stringify(f.path)}`} failed with ${f.errno}${f.count > 1 ? ` (${f.count} times)` : ''}`,
        );
      if (d.refused.length > 0)
        out(`the profile also refuses: ${d.refused.map((r) => r.name).join(', ')}`);
      break;
    }
    case 'seccomp': {
      out(paint('red', `${d.refused.length} refused syscall(s):`));
      for (const r of d.refused) {
        out(refusedCallLine(r));
        for (const rule of r.rules) out(`    add: ${toJson(rule, 0)}`);
      }
      const v = d.suggestion?.verified;
      if (v !== undefined)
        out(
          v.passed === v.runs
            ? paint('green', `with these rules the workload passed ${v.passed} of ${v.runs} run(s)`)
            : paint(
                'yellow',
                `with these rules the workload still failed (${v.passed} of ${v.runs} run(s) passed)`,
              ),
        );
      break;
    }
    default: {
      const never: never = d.verdict;
      return never;
    }
  }
}

/** `sysgate doctor --profile P -- CMD`: find out whether, and which, seccomp refusals break a workload. */
export function register(program: Command): void {
  const cmd = program
    .command('doctor')
    .description(
      'find out why a workload fails under a profile: which calls it refuses, their risk, the narrowest rules to allow them (verified by a rerun)',
    )
    .argument('<command...>', 'the failing command, after --')
    .requiredOption('--profile <file>', "profile ('-' for stdin)")
    .option(
      '--runs <n>',
      `runs under the profile to see it fail, traced runs, and runs to verify the fix (stops early when the cause is clear; default ${DEFAULT_DOCTOR_RUNS})`,
    )
    .option('-o, --output <file>', 'write the fixed profile (the profile with the suggested rules)')
    .option('--json', 'print the diagnosis as JSON');
  addSandboxOptions(cmd, {
    engine: {
      default: 'bwrap',
      help: 'auto, bwrap, runc, crun, docker or podman (every run uses it)',
    },
    timeoutSeconds: DEFAULT_DOCTOR_TIMEOUT_SECONDS,
    timeoutScope: 'each run',
  });
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
The command runs under the profile on the engine, up to --runs times until it fails. Then it runs
without seccomp under strace in the same engine's sandbox (bwrap, runc, crun, docker or podman), with the same
mounts (--bind, the current directory), image, limits and time bound; never on the host. Each traced
call is judged by the decision model (the one 'sysgate explain' uses) with its real argument vector;
for runc, crun and docker the calls the runtime makes after loading the filter are judged too. clone3
answered with ENOSYS is a designed fallback (libc retries with clone, which is judged instead).

The suggestion admits exactly the refused calls: the arguments that select a family, flag, signal or
request are pinned to the refused values; clone3 is never allowed. It is applied and the workload
rerun under it (up to --runs times); if it still fails, the workload is traced again and the evidence
merged (an intermittent cause). "seccomp is not the cause" is said only when the workload also fails
without seccomp; then the calls that failed there are named (missing mount, device, capability).

Exit status: 0 the workload succeeds, or seccomp is not the cause; 1 refused calls were found (or the
cause could not be determined); 2 bad input; 3 a runtime failed.

Examples:
  sysgate doctor --profile profile.json -- python3 app.py
  sysgate doctor --profile profile.json --engine runc --runs 10 -o fixed.json -- python3 pool.py
  sysgate doctor --profile profile.json --engine docker -- git commit -m msg
  sysgate doctor --profile profile.json --json -- ./server --check`,
    )
    .action(async (argv: string[], opts: DoctorCliOptions) => {
      if (argv.length === 0) throw new UsageError('give the failing command after --');
      const runs = parseRuns(opts.runs);
      const policy = loadPolicy(opts.profile ?? '-', opts);
      const engine = await pickEngine(opts.engine ?? 'bwrap', 'profile');
      const d = await diagnose(engine, policy, argv, {
        ...sandboxOptionsFrom(opts, DEFAULT_DOCTOR_TIMEOUT_SECONDS),
        runs,
        prepare: (text) => policyFromText(`${policy.label} (fixed)`, text, opts),
      });
      if (opts.output !== undefined && d.suggestion !== undefined)
        writeOutput(opts.output, d.suggestion.profile);
      if (opts.json === true) outJson({ engine, profile: policy.label, ...d });
      else printText(engine, policy.label, d);
      if (d.verdict === 'seccomp' || d.verdict === 'undetermined') requestExit(EXIT.findings);
    });
}
