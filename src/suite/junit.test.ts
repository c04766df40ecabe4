import { expect, test } from 'vitest';
import { toJunit, xmlEscape } from './junit.js';
import type { SuiteResult } from './suite-run.js';

const result: SuiteResult = {
  suite: 'workspace',
  engine: 'docker',
  profile: 'examples/workspace-profile.json',
  passed: 1,
  failed: 1,
  durationMs: 1234,
  cases: [
    {
      kind: 'probe',
      name: 'af-unix',
      pointer: '/probes/0',
      passed: true,
      expected: 'allowed',
      actual: 'ok 3 (= unconfined)',
      durationMs: 1,
      model: 'ALLOW',
    },
    {
      kind: 'workload',
      name: 'git <commit> & "push"',
      pointer: '/workloads/3',
      passed: false,
      expected: 'exit 0',
      actual: 'exit 128',
      durationMs: 500,
      detail: 'stderr: fatal: cannot rename\u0007',
    },
  ],
};

test('JUnit XML: one testsuite per run, failures with message and detail', async () => {
  await expect(toJunit([result])).toMatchFileSnapshot('../../test/golden/suite/junit.xml');
});

test('xmlEscape escapes markup and drops control characters', () => {
  expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
});
