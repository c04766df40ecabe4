/**
 * `ci --print github|gitlab`: a CI job that keeps a committed profile honest. One list of steps (the
 * commands live here once) rendered for GitHub Actions and for GitLab CI: build the image, lint the
 * profile (SARIF), run the suite under it on Docker (JUnit), re-record the workload with `drift`, and
 * refuse a profile change or a new recording that would loosen what is allowed.
 */
import { stringify } from 'yaml';

/** The CI systems `ci --print` writes for. */
export const CI_SYSTEMS = ['github', 'gitlab'] as const;
export type CiSystem = (typeof CI_SYSTEMS)[number];

/** Options of {@link ciJob}. */
export interface CiOptions {
  /** The committed profile, relative to the repository root. */
  readonly profile: string;
  /** The suite that exercises the workload. */
  readonly suite: string;
  /** The image the suite runs. */
  readonly image: string;
  /** How the image is made (default: `docker build -t "$IMAGE" .`). */
  readonly build?: string;
  /** How sysgate is installed on the runner (default: `npm install -g sysgate`). */
  readonly install?: string;
}

/** One step of the job: an id (also the GitLab job name), what it does, and its shell commands. */
export interface CiStep {
  readonly id: string;
  readonly name: string;
  readonly run: readonly string[];
  /** Runs even when an earlier step failed (the reports are uploaded then). */
  readonly always?: boolean;
  /** Only for a change request (GitHub pull_request, GitLab merge request). */
  readonly onChange?: boolean;
}

/** The files the job leaves for the CI system to keep. */
export const CI_REPORTS = {
  sarif: 'sysgate.sarif',
  junit: 'sysgate-junit.xml',
  evidence: 'drift.evidence.json',
} as const;

/** The job's steps, in order. `BASE_PROFILE` is the profile as the target branch has it. */
export function ciSteps(o: CiOptions): CiStep[] {
  return [
    {
      id: 'install',
      name: 'Install sysgate and the tracer',
      run: [o.install ?? 'npm install -g sysgate'],
    },
    { id: 'image', name: 'Build the image', run: [o.build ?? 'docker build -t "$IMAGE" .'] },
    {
      id: 'lint',
      name: 'Lint the profile (SARIF)',
      run: [`sysgate lint "$PROFILE" --format sarif -o ${CI_REPORTS.sarif}`],
      always: true,
    },
    {
      id: 'suite',
      name: 'Run the suite under the profile (JUnit)',
      run: [
        `sysgate test "$SUITE" --profile "$PROFILE" --engine docker --junit ${CI_REPORTS.junit}`,
      ],
    },
    {
      id: 'drift',
      name: 'Record the workload again: does the profile still cover it?',
      run: [
        `sysgate drift --profile "$PROFILE" --suite "$SUITE" --evidence ${CI_REPORTS.evidence}`,
        `sysgate generate --from ${CI_REPORTS.evidence} --widen none -o recorded.json`,
        'sysgate diff "$PROFILE" recorded.json --fail-on looser',
      ],
    },
    {
      id: 'change',
      name: 'A profile change may not loosen it',
      run: ['sysgate diff "$BASE_PROFILE" "$PROFILE" --fail-on looser'],
      onChange: true,
    },
  ];
}

function github(o: CiOptions): string {
  const steps = ciSteps(o);
  const job = {
    name: 'seccomp profile',
    on: { push: { branches: ['main'] }, pull_request: null },
    permissions: { contents: 'read', 'security-events': 'write' },
    jobs: {
      seccomp: {
        'runs-on': 'ubuntu-latest',
        env: { PROFILE: o.profile, SUITE: o.suite, IMAGE: o.image },
        steps: [
          { uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
          { uses: 'actions/setup-node@v4', with: { 'node-version': 20 } },
          {
            name: 'Runtimes',
            run: 'sudo apt-get update && sudo apt-get install -y strace bubblewrap',
          },
          ...steps.map((s) => ({
            id: s.id,
            name: s.name,
            ...(s.onChange === true
              ? {
                  if: "github.event_name == 'pull_request'",
                  env: { BASE_PROFILE: 'base-profile.json' },
                }
              : s.always === true
                ? { if: 'always()' }
                : {}),
            run:
              s.onChange === true
                ? [
                    'git show "origin/${{ github.base_ref }}:$PROFILE" > base-profile.json',
                    ...s.run,
                  ].join('\n')
                : s.run.join('\n'),
          })),
          {
            name: 'Upload SARIF to code scanning',
            if: 'always()',
            uses: 'github/codeql-action/upload-sarif@v3',
            with: { sarif_file: CI_REPORTS.sarif, category: 'sysgate' },
          },
          {
            name: 'Keep the JUnit report and the new recording',
            if: 'always()',
            uses: 'actions/upload-artifact@v4',
            with: {
              name: 'sysgate-reports',
              path: [CI_REPORTS.junit, CI_REPORTS.evidence, CI_REPORTS.sarif].join('\n'),
            },
          },
        ],
      },
    },
  };
  return `# Written by 'sysgate ci --print github': .github/workflows/seccomp.yml\n${stringify(job, { lineWidth: 0 })}`;
}

function gitlab(o: CiOptions): string {
  const steps = ciSteps(o);
  const script = steps.filter((s) => s.onChange !== true && s.id !== 'lint').flatMap((s) => s.run);
  const lint = steps.find((s) => s.id === 'lint');
  const change = steps.find((s) => s.onChange === true);
  const doc = {
    variables: { PROFILE: o.profile, SUITE: o.suite, IMAGE: o.image },
    stages: ['test'],
    seccomp: {
      stage: 'test',
      image: 'docker:27',
      services: ['docker:27-dind'],
      before_script: ['apk add --no-cache nodejs npm strace bubblewrap git'],
      script: [...(lint?.run ?? []), ...script],
      artifacts: {
        when: 'always',
        paths: [CI_REPORTS.sarif, CI_REPORTS.evidence],
        reports: { junit: CI_REPORTS.junit },
      },
    },
    'seccomp-change': {
      stage: 'test',
      image: 'node:20',
      rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }],
      variables: { BASE_PROFILE: 'base-profile.json' },
      script: [
        o.install ?? 'npm install -g sysgate',
        'git fetch origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"',
        'git show "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME:$PROFILE" > base-profile.json',
        ...(change?.run ?? []),
      ],
    },
  };
  return `# Written by 'sysgate ci --print gitlab': .gitlab-ci.yml (or include it)\n${stringify(doc, { lineWidth: 0 })}`;
}

/** The job for `system`, as YAML. */
export function ciJob(system: CiSystem, o: CiOptions): string {
  return system === 'github' ? github(o) : gitlab(o);
}
