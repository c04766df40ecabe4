import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { drift, type DriftReport, type DriftWorkload } from '../../diagnose/drift.js';
import { writeEvidence } from '../../generate/evidence.js';
import {
  describeProvenance,
  profileProvenance,
  type Provenance,
} from '../../generate/provenance.js';
import { inspectImage } from '../../generate/record.js';
import { pickEngine } from '../../run/detect.js';
import { DEFAULT_DOCTOR_TIMEOUT_SECONDS } from '../../run/limits.js';
import { commandArgv } from '../../suite/suite-run.js';
import { parseSuite, SUITE_DIR_IN_SANDBOX } from '../../suite/suite.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, loadForHost, policyFor, type HostOptions } from '../host.js';
import { err, out, outJson, paint, readInput, toJson, writeOutput } from '../io.js';
import { refusedCallLine } from '../refused-call.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';

interface DriftCliOptions extends HostOptions, SandboxCliOptions {
  readonly profile: string;
  readonly suite?: string;
  readonly evidence?: string;
  readonly json?: boolean;
}

/** The workloads to record again, and the engine, from `--image -- CMD` or `--suite`. */
async function workloadsFrom(
  argv: readonly string[],
  opts: DriftCliOptions,
): Promise<{ engine: Awaited<ReturnType<typeof pickEngine>>; workloads: DriftWorkload[] }> {
  const sandbox = sandboxOptionsFrom(opts, DEFAULT_DOCTOR_TIMEOUT_SECONDS);
  const base = {
    binds: sandbox.binds,
    cwd: sandbox.cwd,
    shareNet: sandbox.shareNet,
    limits: sandbox.limits,
    ...(sandbox.timeoutMs !== undefined && { timeoutMs: sandbox.timeoutMs }),
  };
  if (opts.suite !== undefined) {
    if (argv.length > 0)
      throw new UsageError('give either --suite SUITE or --image IMAGE -- CMD, not both');
    const suite = parseSuite(opts.suite, readInput(opts.suite));
    const suiteDir = opts.suite === '-' ? process.cwd() : resolvePath(dirname(opts.suite));
    const engine = await pickEngine(opts.engine ?? suite.engine, 'profile');
    const image = opts.image ?? suite.image;
    return {
      engine,
      workloads: suite.workloads.map((w) => ({
        name: w.name,
        argv: commandArgv(w.run),
        exit: w.exit,
        sandbox: {
          ...base,
          cwd: '/',
          binds: [...sandbox.binds, { source: suiteDir, target: SUITE_DIR_IN_SANDBOX }],
          timeoutMs: w.timeoutSec * 1000,
          ...(image !== undefined && { image }),
        },
      })),
    };
  }
  if (opts.image === undefined)
    throw new UsageError(
      'give the workload: --image IMAGE [-- CMD...] (recorded in a container) or --suite SUITE',
    );
  if (opts.engine !== undefined && opts.engine !== 'docker')
    throw new UsageError(`--image records under docker (got --engine ${opts.engine})`);
  const command = argv.length > 0 ? [...argv] : inspectImage(opts.image).argv;
  if (command.length === 0)
    throw new UsageError(`image ${opts.image} has no entrypoint or command: give one after --`);
  return {
    engine: 'docker',
    workloads: [
      { name: command.join(' '), argv: command, sandbox: { ...base, image: opts.image } },
    ],
  };
}

function printReport(file: string, made: readonly Provenance[], r: DriftReport): void {
  out(`profile ${file}`);
  for (const p of made) out(`  made from: ${describeProvenance(p)}`);
  if (made.length === 0) out('  made from: (no provenance recorded in the profile)');
  for (const rec of r.recordings) {
    out(
      `recorded ${rec.name}: exit ${rec.exitCode}${rec.worked ? '' : paint('yellow', ' (not the expected status)')}`,
    );
    for (const p of rec.provenance) out(`  ${describeProvenance(p)}`);
  }
  for (const f of r.fallbacks)
    out(
      `  ${f.name}: ${f.action} on purpose (${f.count} call(s)): libc falls back to ${f.fallback}`,
    );
  if (r.covered) {
    out(
      paint('green', `the profile still covers the workload (${r.judged} distinct calls judged)`),
    );
    return;
  }
  out(
    paint(
      'red',
      `drift: ${r.findings.length} call(s) the profile does not allow (${r.judged} distinct calls judged)`,
    ),
  );
  for (const f of r.findings) {
    out(refusedCallLine(f, true));
    switch (f.change.kind) {
      case 'allow':
        for (const rule of f.change.rules) out(`    add: ${toJson(rule, 0)}`);
        break;
      case 'add-arch':
        out(`    add the architecture ${f.change.architecture} to the profile`);
        break;
      case 'never-allow':
        out(
          `    never allow: ${f.name} is critical (${f.change.reason}); change the workload, or review an exception`,
        );
        break;
      default: {
        const never: never = f.change;
        return never;
      }
    }
  }
}

/** `sysgate drift --profile P (--image IMAGE -- CMD | --suite SUITE)`: re-record and judge. */
export function register(program: Command): void {
  const cmd = program
    .command('drift')
    .description(
      'record the workload again and say whether the profile still covers it; the smallest change when it does not',
    )
    .argument(
      '[command...]',
      'with --image: the command to record, after -- (default: the image entrypoint)',
    )
    .requiredOption('--profile <file>', "the profile in use ('-' for stdin)")
    .option('--suite <file>', 'record every workload of a suite (its engine, image and mounts)')
    .option('--evidence <file>', 'write the new recording (evidence JSON, with provenance) to FILE')
    .option('--json', 'print the report as JSON');
  addSandboxOptions(cmd, {
    engine: { help: "with --suite: auto, bwrap, runc, crun or docker (default: the suite's)" },
    timeoutSeconds: DEFAULT_DOCTOR_TIMEOUT_SECONDS,
    timeoutScope: 'each recording',
  });
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
The workload runs without seccomp under strace in the engine's sandbox (--image: a Docker container
of IMAGE with the --bind mounts; --suite: each workload as 'sysgate test' runs it), and every call
it makes, with its real argument vector, is judged in its own ABI by the decision model 'sysgate
explain' uses; for runc, crun and docker the runtime's own calls after loading the filter are judged
too. The profile's provenance (what it was recorded from) and the new recording's are printed.

Each call the profile would refuse gets the smallest change: the narrowest allow rule (the
arguments that select a family, flag or request pinned to the values seen), the architecture to
add, or "never allow" for critical syscalls (change the workload, or review an exception).

Exit status: 0 the profile still covers the workload, 1 drift (calls it does not allow), 2 bad
input, 3 a runtime failed or the workload did not exit as expected while recorded.

Examples:
  sysgate drift --profile app.json --image app:2.0 --bind /data -- /app/server --selftest
  sysgate drift --profile app.json --image app:2.0
  sysgate drift --profile examples/workspace-profile.json --suite examples/workspace-suite.yaml
  sysgate drift --profile app.json --image app:2.0 --json --evidence app-2.0.evidence.json`,
    )
    .action(async (argv: string[], opts: DriftCliOptions) => {
      const host = loadForHost(opts.profile, opts);
      const policy = policyFor(opts.profile, host);
      const made = profileProvenance(host.loaded.profile);
      const { engine, workloads } = await workloadsFrom(argv, opts);
      const r = await drift(policy, workloads, engine);
      if (opts.evidence !== undefined) writeOutput(opts.evidence, writeEvidence(r.evidence));
      if (opts.json === true)
        outJson({
          engine,
          profile: { file: opts.profile, provenance: made },
          covered: r.covered,
          judged: r.judged,
          findings: r.findings,
          fallbacks: r.fallbacks,
          recordings: r.recordings,
        });
      else printReport(opts.profile, made, r);
      const failed = r.recordings.filter((x) => !x.worked);
      for (const f of failed)
        err(
          `${f.name}: exit ${f.exitCode} while recorded without seccomp: the recording may miss what it does when it works`,
        );
      if (!r.covered) requestExit(EXIT.findings);
      else if (failed.length > 0) requestExit(EXIT.runtime);
    });
}
