import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { RuntimeError, UsageError } from '../../document/errors.js';
import { crossCheck, type CrossCheckResult } from '../../suite/cross-check.js';
import { detectEngines, pickEngine } from '../../run/detect.js';
import { toJunit } from '../../suite/junit.js';
import { runSuite, type CaseResult, type SuiteResult } from '../../suite/suite-run.js';
import { parseSuite, type Suite } from '../../suite/suite.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, loadPolicy, type HostOptions } from '../host.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';
import { err, out, outJson, paint, Progress, readInput, writeOutput } from '../io.js';

interface TestCliOptions extends HostOptions, SandboxCliOptions {
  readonly profile?: string;
  readonly junit?: string;
  readonly json?: boolean;
  readonly crossCheck?: boolean;
}

/** The profile a suite runs under: `--profile`, else the suite's own (relative to the suite file). */
export function suiteProfilePath(suite: Suite, suiteFile: string, override?: string): string {
  if (override !== undefined) return override;
  if (suite.profile === undefined)
    throw new UsageError(`${suiteFile} names no profile; pass --profile FILE`, 'no-profile');
  return resolvePath(dirname(suiteFile), suite.profile);
}

/** Pad or cut text to a column width. */
function col(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}~` : text.padEnd(width);
}

/** The summary table of a suite run. */
export function formatSummary(r: SuiteResult): string {
  const rows = r.cases.map((c) => {
    const status = c.passed ? paint('green', 'PASS') : paint('red', 'FAIL');
    const model = c.model === undefined ? '' : `  [model: ${c.model}]`;
    return `${status}  ${col(c.kind, 8)} ${col(c.name, 28)} ${col(c.expected, 30)} ${c.actual}${model}`;
  });
  const header = `${col('', 4)}  ${col('KIND', 8)} ${col('NAME', 28)} ${col('EXPECTED', 30)} ACTUAL`;
  const failures = r.cases
    .filter((c): c is CaseResult & { detail: string } => !c.passed && c.detail !== undefined)
    .map(
      (c) =>
        `\n${paint('red', `${c.kind} ${c.name}`)} (at ${c.pointer}):\n  ${c.detail.replaceAll('\n', '\n  ')}`,
    );
  const probe = r.probeMs === undefined ? '' : `; probes ${(r.probeMs / 1000).toFixed(2)} s`;
  const verdict =
    r.failed === 0 ? paint('green', 'all passed') : paint('red', `${r.failed} failed`);
  return [
    header,
    ...rows,
    ...failures,
    '',
    `${r.suite} on ${r.engine} with ${r.profile}: ${r.passed} passed, ${verdict} in ${(r.durationMs / 1000).toFixed(1)} s${probe}`,
  ].join('\n');
}

/** The cross-check table. */
export function formatCrossCheck(c: CrossCheckResult): string {
  const lines = [
    `${col('PROBE', 26)} ${col('MODEL', 18)} ${c.engines.map((e) => col(e.toUpperCase(), 24)).join(' ')}`,
  ];
  for (const r of c.rows) {
    const mark = r.disagreements.length === 0 ? ' ' : paint('red', '!');
    lines.push(
      `${mark}${col(r.probe, 25)} ${col(r.model, 18)} ${c.engines.map((e) => col(r.engines[e] ?? '-', 24)).join(' ')}`,
    );
    for (const d of r.disagreements) lines.push(`    ${paint('red', d)}`);
  }
  for (const [engine, why] of Object.entries(c.engineErrors))
    lines.push(paint('red', `${engine} could not run the probes: ${why}`));
  lines.push(
    '',
    c.disagreements === 0
      ? paint('green', `${c.rows.length} probes agree on ${c.engines.join(', ')} and the emulator`)
      : paint('red', `${c.disagreements} disagreement(s) among ${c.rows.length} probes`),
  );
  return lines.join('\n');
}

/** `sysgate test SUITE.yaml`: run a verification suite under a profile on a real engine. */
export function register(program: Command): void {
  const cmd = program
    .command('test')
    .description(
      'run a declarative suite (workloads, syscall probes, load) under a profile on a real engine',
    )
    .argument('<suite>', "suite file (YAML; '-' for stdin)")
    .option('--profile <file>', "profile to test (default: the suite's profile:)");
  addSandboxOptions(cmd, {
    engine: {
      help: "auto, bwrap, runc, crun, docker or podman (default: the suite's engine:, else auto)",
    },
    net: false,
    binds: false,
  });
  cmd
    .option('--junit <file>', 'also write JUnit XML to FILE')
    .option('--json', 'print the results as JSON')
    .option(
      '--cross-check',
      'run the probes on every available engine and through the emulator; report disagreements',
    );
  addHostOptions(cmd)
    .addHelpText(
      'after',
      `
Suite format (YAML):
  name: workspace                 # optional display name
  profile: workspace-profile.json # default profile, relative to the suite file
  engine: auto                    # auto, bwrap, runc, crun, docker or podman
  timeout: 120                    # seconds per workload
  probe-mode: fork                # fork (a child per probe) or inline (fewer prober syscalls)
  workloads:                      # each in a fresh sandbox; the suite dir is at /tmp/suite (read-only)
    - name: python
      run: /usr/bin/python3 -c "print('ok')"   # string: sh -c; list: argv
      expect: {exit: 0, stdout: /ok/}          # /regex/flags or a literal substring
  probes:                         # all in one sandbox start through the prober
    - name: inet-refused
      syscall: socket
      args: [AF_INET, SOCK_STREAM, 0]
      expect: {errno: EPERM}      # allowed | killed | trapped | {errno: NAME}
    - name: inet-i386             # abi: the ABI the call enters through (from an x86_64 host:
      syscall: socket             #   x86 by int $0x80, x32 with bit 30); numbers and constants
      abi: x86                    #   from its table; default the host's own
      args: [AF_INET, SOCK_STREAM, 0]
      expect: killed              # a profile covering x86_64 only kills every i386 call
  load:                           # server under the profile, host network; client outside
    - name: http
      server: nginx -e stderr -c /tmp/suite/nginx.conf
      ready: {tcp: 127.0.0.1:18080}
      client: {http: http://127.0.0.1:18080/, requests: 10000, concurrency: 100}
      expect: {errors: 0}

A probe is 'allowed' when it behaves exactly as in the same engine without seccomp. Exit status:
0 all passed, 1 a case failed (or, with --cross-check, an engine disagrees with the emulator),
2 bad suite or profile, 3 engine missing or broken.

Examples:
  sysgate test examples/workspace-suite.yaml
  sysgate test examples/workspace-suite.yaml --engine docker --junit report.xml
  sysgate test examples/workspace-suite.yaml --profile examples/docker-default.json
  sysgate test examples/nginx-suite.yaml --engine bwrap --json
  sysgate test examples/workspace-suite.yaml --cross-check`,
    )
    .action(async (file: string, opts: TestCliOptions) => {
      const suite = parseSuite(file, readInput(file));
      const suiteDir = file === '-' ? process.cwd() : resolvePath(dirname(file));
      const profileFile = suiteProfilePath(suite, file === '-' ? './-' : file, opts.profile);
      const policy = loadPolicy(profileFile, opts);
      if (opts.crossCheck === true) {
        const engines = (await detectEngines()).filter((s) => s.available).map((s) => s.name);
        if (engines.length === 0)
          throw new RuntimeError(
            'engine',
            'no engine is available for --cross-check (install bubblewrap, runc, crun, docker or podman)',
          );
        const c = await crossCheck(
          suite,
          policy,
          engines,
          opts.image === undefined ? {} : { image: opts.image },
        );
        if (opts.json === true) outJson({ suite: suite.name, profile: profileFile, crossCheck: c });
        else out(formatCrossCheck(c));
        if (c.disagreements > 0) requestExit(EXIT.findings);
        return;
      }
      const engine = await pickEngine(opts.engine ?? suite.engine, 'profile');
      const progress = new Progress();
      const image = opts.image ?? suite.image;
      const result = await runSuite(suite, {
        engine,
        policy,
        suiteDir,
        limits: sandboxOptionsFrom(opts).limits,
        ...(image !== undefined && { image }),
        onProgress: (p) => {
          progress.update(`[${p.done}/${p.total}] ${engine}: ${p.current}`);
          if (p.finished && !p.finished.passed && !process.stderr.isTTY && opts.json !== true)
            err(`FAIL ${p.finished.kind} ${p.finished.name}: ${p.finished.actual}`);
        },
      });
      progress.done();
      if (opts.junit !== undefined) writeOutput(opts.junit, toJunit([result]));
      if (opts.json === true) outJson(result);
      else out(formatSummary(result));
      if (result.failed > 0) requestExit(EXIT.findings);
    });
}
