import type { Command } from 'commander';
import { ciJob, CI_SYSTEMS } from '../../deploy/index.js';
import { UsageError } from '../../document/errors.js';
import { writeOutput } from '../io.js';

interface CiCliOptions {
  readonly print?: string;
  readonly profile: string;
  readonly suite: string;
  readonly image: string;
  readonly build?: string;
  readonly install?: string;
  readonly output?: string;
}

/** `sysgate ci --print github|gitlab`: the CI job that keeps a committed profile honest. */
export function register(program: Command): void {
  program
    .command('ci')
    .description(
      'print a CI job (GitHub Actions or GitLab CI) that lints the committed profile (SARIF), runs the suite under it (JUnit), re-records the workload with drift, and fails a change that loosens it',
    )
    .option('--print <system>', `the CI system: ${CI_SYSTEMS.join(' or ')}`)
    .option(
      '--profile <file>',
      'the committed profile, relative to the repository root',
      'seccomp.json',
    )
    .option('--suite <file>', 'the suite that exercises the workload', 'seccomp-suite.yaml')
    .option('--image <image>', 'the image the suite runs', 'app:ci')
    .option('--build <command>', 'how the image is made (default: docker build -t "$IMAGE" .)')
    .option(
      '--install <command>',
      'how sysgate is installed on the runner (default: npm install -g sysgate)',
    )
    .option('-o, --output <file>', 'write the YAML to FILE (atomically) instead of stdout')
    .addHelpText(
      'after',
      `
Steps: build the image; sysgate lint --format sarif (uploaded to code scanning); sysgate test on Docker
with --junit; sysgate drift --suite (exit 1 when the workload now needs a call the profile refuses),
then the new recording generated without widening and diffed with --fail-on looser; on a pull or
merge request, sysgate diff of the target branch's profile against the new one with --fail-on looser.

Examples:
  sysgate ci --print github --profile seccomp/app.json --suite seccomp/suite.yaml --image app:ci > .github/workflows/seccomp.yml
  sysgate ci --print gitlab -o .gitlab-ci.yml`,
    )
    .action((opts: CiCliOptions) => {
      const system = CI_SYSTEMS.find((s) => s === opts.print);
      if (system === undefined)
        throw new UsageError(
          opts.print === undefined
            ? `required option '--print <system>' not specified (${CI_SYSTEMS.join(', ')})`
            : `--print must be one of ${CI_SYSTEMS.join(', ')} (got '${opts.print}')`,
        );
      writeOutput(
        opts.output ?? '-',
        ciJob(system, {
          profile: opts.profile,
          suite: opts.suite,
          image: opts.image,
          ...(opts.build === undefined ? {} : { build: opts.build }),
          ...(opts.install === undefined ? {} : { install: opts.install }),
        }),
      );
    });
}
