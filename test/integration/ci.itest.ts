/**
 * `sysgate ci --print`: the GitHub workflow validates against the GitHub Actions workflow schema
 * (SchemaStore), and the job's own commands run on this machine in a git checkout of a small project
 * (sysgate on PATH, sysgate's image built by `sysgate image`): they pass for a profile that covers the
 * workload, and fail where they should: the drift step when the profile lost a call the workload
 * makes, the change step when a commit loosens the profile. GitLab's job carries the same commands.
 * Runs under CI=true (failing if Docker is missing) and wherever dockerd answers.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ciSteps } from '../../src/deploy/ci.js';
import { runCli } from '../cli/run-cli.js';

const dockerUp = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
const enabled = process.env.CI === 'true' || dockerUp;
const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMA = join(
  ROOT,
  'test/fixtures/corpus/reference/SchemaStore__schemastore__src_schemas_json_github-workflow.json',
);
const OPTS = [
  '--profile',
  'seccomp/app.json',
  '--suite',
  'seccomp/suite.yaml',
  '--image',
  'sysgate/base:local',
  '--build',
  'sysgate image',
  '--install',
  'sysgate --version',
];

const SUITE = `name: app
timeout: 120
workloads:
  - name: hello
    run: |
      /usr/bin/python3 -c "import json; print(json.dumps({'ok': True}))"
    expect:
      exit: 0
      stdout: ['{"ok": true}']
`;

interface Workflow {
  jobs: {
    seccomp: {
      env: Record<string, string>;
      steps: { id?: string; run?: string; env?: Record<string, string> }[];
    };
  };
}

function sh(
  script: string,
  cwd: string,
  env: Record<string, string>,
): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-e', '-c', script], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A git checkout holding the profile and the suite, with `origin/main` at the first commit. */
function project(profile: string): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'sysgate-ci-'));
  mkdirSync(join(dir, 'seccomp'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(
    join(dir, 'bin/sysgate'),
    `#!/bin/sh\nexec node ${join(ROOT, 'dist/cli/main.js')} "$@"\n`,
  );
  chmodSync(join(dir, 'bin/sysgate'), 0o755);
  copyFileSync(profile, join(dir, 'seccomp/app.json'));
  writeFileSync(join(dir, 'seccomp/suite.yaml'), SUITE);
  const git = (args: string) =>
    spawnSync('sh', ['-c', `git ${args}`], { cwd: dir, encoding: 'utf8' });
  git(
    'init -q -b main && git -c user.email=t@t -c user.name=t add seccomp && git -c user.email=t@t -c user.name=t commit -qm base && git update-ref refs/remotes/origin/main HEAD',
  );
  return { dir, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` } };
}

/** Run the workflow's `run` steps in order; the result of each step by id. */
function runSteps(
  wf: Workflow,
  dir: string,
  env: Record<string, string>,
): Record<string, { code: number | null; out: string }> {
  const job = wf.jobs.seccomp;
  const results: Record<string, { code: number | null; out: string }> = {};
  for (const s of job.steps) {
    if (s.run === undefined || s.id === undefined) continue;
    const script = s.run.replaceAll('${{ github.base_ref }}', 'main');
    results[s.id] = sh(script, dir, { ...env, ...job.env, ...(s.env ?? {}) });
  }
  return results;
}

describe.skipIf(!enabled)('sysgate ci --print', () => {
  let workflow: Workflow;
  beforeAll(async () => {
    const r = await runCli(['ci', '--print', 'github', ...OPTS]);
    expect(r.code, r.stderr).toBe(0);
    workflow = parseYaml(r.stdout) as Workflow;
  });

  test('the GitHub workflow validates against the GitHub Actions workflow schema', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    expect(validate(workflow), JSON.stringify(validate.errors)).toBe(true);
    // The check can fail: a job without runs-on.
    const broken = structuredClone(workflow) as unknown as {
      jobs: { seccomp: Record<string, unknown> };
    };
    delete broken.jobs.seccomp['runs-on'];
    expect(validate(broken)).toBe(false);
  });

  test("the job's commands pass for a profile that covers the workload", () => {
    const { dir, env } = project(join(ROOT, 'examples/docker-default.json'));
    const r = runSteps(workflow, dir, env);
    expect(Object.keys(r)).toEqual(['install', 'image', 'lint', 'suite', 'drift', 'change']);
    for (const [id, res] of Object.entries(r)) expect(res.code, `${id}: ${res.out}`).toBe(0);
    expect(readFileSync(join(dir, 'sysgate-junit.xml'), 'utf8')).toContain('<testsuite');
    expect(JSON.parse(readFileSync(join(dir, 'sysgate.sarif'), 'utf8'))).toMatchObject({
      version: '2.1.0',
    });
  }, 900_000);

  test('they fail where they should: a profile missing a needed call, a commit that loosens it', () => {
    // Python opens files at start-up: without openat the workload cannot run.
    const { dir, env } = project(join(ROOT, 'examples/workspace-profile.json'));
    const tight = JSON.parse(readFileSync(join(dir, 'seccomp/app.json'), 'utf8')) as {
      syscalls: { names: string[] }[];
    };
    tight.syscalls[0]?.names.splice(tight.syscalls[0].names.indexOf('openat'), 1);
    writeFileSync(join(dir, 'seccomp/app.json'), JSON.stringify(tight, null, 2));
    const r = runSteps(workflow, dir, env);
    expect(r.suite?.code, r.suite?.out).not.toBe(0);
    expect(r.drift?.code, r.drift?.out).not.toBe(0);
    expect(r.drift?.out).toContain('openat');
    // Loosening the committed profile: the change step refuses it.
    const { dir: d2, env: e2 } = project(join(ROOT, 'examples/workspace-profile.json'));
    const loose = JSON.parse(readFileSync(join(d2, 'seccomp/app.json'), 'utf8')) as {
      syscalls: { names: string[] }[];
    };
    loose.syscalls[0]?.names.push('mount');
    writeFileSync(join(d2, 'seccomp/app.json'), JSON.stringify(loose, null, 2));
    const change = workflow.jobs.seccomp.steps.find((s) => s.id === 'change');
    const c = sh((change?.run ?? '').replaceAll('${{ github.base_ref }}', 'main'), d2, {
      ...e2,
      ...workflow.jobs.seccomp.env,
      ...(change?.env ?? {}),
    });
    expect(c.code, c.out).toBe(1);
    expect(c.out).toContain('mount');
  }, 900_000);

  test('GitLab: the same commands, JUnit as a report, the change job only for merge requests', async () => {
    const r = await runCli(['ci', '--print', 'gitlab', ...OPTS]);
    expect(r.code).toBe(0);
    const doc = parseYaml(r.stdout) as Record<
      string,
      { script?: string[]; artifacts?: { reports?: { junit?: string } }; rules?: { if: string }[] }
    >;
    const steps = ciSteps({
      profile: 'seccomp/app.json',
      suite: 'seccomp/suite.yaml',
      image: 'sysgate/base:local',
      build: 'sysgate image',
      install: 'sysgate --version',
    });
    const main = doc.seccomp?.script ?? [];
    for (const s of steps.filter((x) => x.onChange !== true))
      for (const cmd of s.run) expect(main).toContain(cmd);
    expect(doc.seccomp?.artifacts?.reports?.junit).toBe('sysgate-junit.xml');
    expect(doc['seccomp-change']?.rules?.[0]?.if).toContain('merge_request_event');
    for (const cmd of steps.find((x) => x.onChange === true)?.run ?? [])
      expect(doc['seccomp-change']?.script).toContain(cmd);
  });
});
