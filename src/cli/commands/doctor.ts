import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { pickEngine } from '../../run/detect.js';
import { diagnose } from '../../diagnose/doctor.js';
import { describeExit } from '../../suite/suite-run.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, loadPolicy, type HostOptions } from '../host.js';
import { out, outJson, paint, toJson } from '../io.js';
import { DEFAULT_DOCTOR_TIMEOUT_SECONDS } from '../../run/limits.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';

interface DoctorCliOptions extends HostOptions, SandboxCliOptions {
  readonly profile?: string;
  readonly json?: boolean;
}

/** `sysgate doctor --profile P -- CMD`: find out whether, and which, seccomp refusals break a workload. */
export function register(program: Command): void {
  const cmd = program
    .command('doctor')
    .description(
      'find out why a workload fails under a profile: which syscalls it refuses, their risk and the smallest rule to allow them',
    )
    .argument('<command...>', 'the failing command, after --')
    .requiredOption('--profile <file>', "profile ('-' for stdin)")
    .option('--json', 'print the diagnosis as JSON');
  addSandboxOptions(cmd, {
    engine: { default: 'bwrap', help: 'auto, bwrap, runc, crun or docker (both runs use it)' },
    timeoutSeconds: DEFAULT_DOCTOR_TIMEOUT_SECONDS,
    timeoutScope: 'each of the two runs',
  });
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
The command runs once under the profile on the engine. If it fails, it runs again without seccomp
under strace in the same engine's sandbox, with the same mounts (--bind, the current directory),
image, limits and time bound; never on the host. The host's strace is mounted in. The decision model (the same one 'sysgate explain' uses) says which recorded calls,
with their argument values, the profile refuses. Each is printed with its risk and the smallest allow
rule; when the profile allows other values of an argument, the rule carries an argument condition.
Exit status: 0 the workload succeeds, or seccomp is not the cause; 1 refused calls were found.

Examples:
  sysgate doctor --profile profile.json -- python3 app.py
  sysgate doctor --profile profile.json --engine docker -- git commit -m msg
  sysgate doctor --profile profile.json --json -- ./server --check`,
    )
    .action(async (argv: string[], opts: DoctorCliOptions) => {
      if (argv.length === 0) throw new UsageError('give the failing command after --');
      const policy = loadPolicy(opts.profile ?? '-', opts);
      const engine = await pickEngine(opts.engine ?? 'bwrap', 'profile');
      const d = await diagnose(
        engine,
        policy,
        argv,
        sandboxOptionsFrom(opts, DEFAULT_DOCTOR_TIMEOUT_SECONDS),
      );
      if (opts.json === true) outJson({ engine, profile: policy.label, ...d });
      else {
        out(
          `under ${policy.label} on ${engine}: ${describeExit(d.underProfile)}; without seccomp: exit ${d.unconfinedExit}`,
        );
        switch (d.verdict) {
          case 'succeeds':
            out(paint('green', 'the workload succeeds under the profile'));
            break;
          case 'not-seccomp':
            out(
              paint(
                'yellow',
                `seccomp is not the cause: the workload makes no call the profile refuses${d.unconfinedExit === d.underProfile.exitCode ? `, and fails the same way without it (exit ${d.unconfinedExit})` : ''}`,
              ),
            );
            break;
          case 'seccomp':
            out(paint('red', `${d.refused.length} refused syscall(s):`));
            for (const r of d.refused) {
              const values =
                r.refusedValues === undefined
                  ? ''
                  : ` (${r.refusedValues.label} ${r.refusedValues.values.join(', ')})`;
              out(
                `  ${paint('bold', r.name)}${values}: ${r.action}, ${r.count} call(s), risk ${r.risk}: ${r.riskReason}`,
              );
              for (const rule of r.rules) out(`    add: ${toJson(rule, 0)}`);
            }
            break;
          default: {
            const never: never = d.verdict;
            return never;
          }
        }
      }
      if (d.verdict === 'seccomp') requestExit(EXIT.findings);
    });
}
