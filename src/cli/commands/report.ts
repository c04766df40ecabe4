import type { Command } from 'commander';
import { readEvidence } from '../../generate/evidence.js';
import { reportModel, renderReport } from '../../report/index.js';
import { lintText, type LintHost } from '../../review/lint/index.js';
import { LINT_RULES } from '../../review/lint/rules/index.js';
import { compileProfile } from '../../compile/compile.js';
import { dockerDefaultSide, readSide, reviewTarget } from '../filter-side.js';
import { loadForHost, parseKernel, type HostOptions } from '../host.js';
import { err, readInput, writeOutput } from '../io.js';
import { checkLogFiles, collectLogs } from '../kernel-logs.js';
import { ViolationCollector } from '../../operate/violations.js';

interface ReportCliOptions extends Omit<HostOptions, 'arch'> {
  readonly host?: string;
  readonly evidence?: string;
  readonly against?: string;
  readonly output?: string;
  readonly violations?: string[];
}

/** `sysgate report PROFILE -o report.html`: one self-contained HTML file a reviewer can read. */
export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description(
      "one self-contained HTML report of a profile: its attack surface against Docker's default or a baseline, allowed syscalls by category, argument rules in words, refused dangerous calls, lint findings, the semantic diff, and a box that explains any syscall in the page",
    )
    .argument('<profile>', "profile file ('-' for stdin)")
    .option(
      '--evidence <file>',
      'evidence file (record/generate): who used each syscall and how often',
    )
    .option(
      '--against <ref>',
      "docker-default or a baseline profile: the score's reference and the diff",
      'docker-default',
    )
    .option(
      '--violations <log...>',
      'kernel logs (dmesg, journalctl -k, audit.log...): violations over time, decided by the profile',
    )
    .option('-o, --output <file>', "where to write the HTML ('-' for stdout)")
    .option('--host <arch>', 'host architecture (default: this machine)')
    .option('--caps <list>', "container bounding capabilities (default: Docker's)")
    .option('--kernel <X.Y>', 'host kernel version, for minKernel; default: the running kernel')
    .option(
      '--libseccomp <version>',
      'libseccomp runc links against (2.5.4 or 2.6); default: this machine',
    );
  cmd.addHelpText(
    'after',
    `
The page needs no network: styles, data and the try box (sysgate's compiler and emulator, bundled)
are inline. The try box answers as 'sysgate explain PROFILE SYSCALL ARGS...' does: the action, the
rule and its line, the reasoning and the BPF path.

Examples:
  sysgate report app.json -o app.html
  sysgate report app.json --evidence app.evidence.json --against old.json -o review.html
  sysgate report app.json --violations /var/log/audit/audit.log -o app.html
  sysgate report examples/docker-default.json -o docker-default.html`,
  );
  cmd.action(async (file: string, opts: ReportCliOptions) => {
    const { abis, hostOpts } = reviewTarget(opts);
    const host = loadForHost(file, hostOpts);
    const compiled = compileProfile(host.resolved, {
      arch: host.arch,
      libseccompVersion: host.libseccomp,
      stats: false,
    });
    const side = { label: file, filters: [compiled.program], plan: compiled.plan };
    const against =
      opts.against === undefined || opts.against === 'docker-default'
        ? dockerDefaultSide(hostOpts)
        : await readSide(opts.against, hostOpts);
    const lintHost: LintHost = {
      arch: host.arch,
      abis,
      caps: host.resolved.host.caps,
      kernel: parseKernel(opts.kernel),
      libseccomp: host.libseccomp,
    };
    const lint = lintText(host.text, file, { host: lintHost, rules: LINT_RULES });
    const evidence =
      opts.evidence === undefined
        ? undefined
        : readEvidence(readInput(opts.evidence), opts.evidence);
    let violations;
    if (opts.violations !== undefined) {
      checkLogFiles(opts.violations);
      const collector = new ViolationCollector();
      await collectLogs(opts.violations, collector);
      violations = collector.report(compiled.plan);
    }
    const model = reportModel({
      file,
      resolved: host.resolved,
      side,
      against,
      ...(opts.against === undefined || opts.against === 'docker-default'
        ? {}
        : { baseline: against }),
      ...(evidence === undefined ? {} : { evidence }),
      lint: lint.findings,
      ...(violations === undefined ? {} : { violations }),
      abis,
      libseccomp: host.libseccomp,
      locate: host.loaded.locate,
      now: new Date(),
    });
    const html = renderReport(model);
    writeOutput(opts.output ?? '-', html);
    if (opts.output !== undefined && opts.output !== '-')
      err(`wrote ${opts.output} (${(html.length / 1024).toFixed(0)} KiB)`);
  });
}
