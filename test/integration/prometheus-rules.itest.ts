/**
 * The alerting rules shipped in deploy/prometheus/ are checked by Prometheus's own tool: `promtool
 * check rules` (syntax, PromQL) and `promtool test rules` (each alert fires on the series it is for,
 * with the labels and annotations written in the test file, and stays quiet on steady counters).
 * The rules rewritten for `--metric-prefix workspace_seccomp` (the sed line in the file) check too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hasTool } from '../oracle/kernel.js';

const DIR = resolve(import.meta.dirname, '../../deploy/prometheus');
const enabled = process.env.CI === 'true' || hasTool('promtool');

const promtool = (args: string[], cwd: string) =>
  spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });

describe.skipIf(!enabled)('deploy/prometheus alerting rules (promtool)', () => {
  test('promtool check rules: 6 rules', () => {
    const r = promtool(['check', 'rules', 'seccomp-alerts.yml'], DIR);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 6 rules found/);
  });

  test('promtool test rules: every alert on its series, none on steady counters', () => {
    const r = promtool(['test', 'rules', 'seccomp-alerts.test.yml'], DIR);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  test('a broken expectation fails (the test file is really evaluated)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-promtool-'));
    writeFileSync(join(dir, 'seccomp-alerts.yml'), readFileSync(join(DIR, 'seccomp-alerts.yml')));
    const original = readFileSync(join(DIR, 'seccomp-alerts.test.yml'), 'utf8');
    const broken = original.replace(
      /summary: (['"])seccomp killed web \(nginx:1\.27\) at ptrace\1/,
      "summary: 'seccomp killed db at ptrace'",
    );
    expect(broken).not.toBe(original);
    writeFileSync(join(dir, 'seccomp-alerts.test.yml'), broken);
    const r = promtool(['test', 'rules', 'seccomp-alerts.test.yml'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
  });

  test('the increase() > 0 rule misses a series born at its full count, a restart after downtime and growth across a scrape gap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-promtool-'));
    const shipped = readFileSync(join(DIR, 'seccomp-alerts.yml'), 'utf8');
    // The rule as it was: SeccompProcessKilled's expression (up to its labels) replaced.
    const from = shipped.indexOf('expr: |', shipped.indexOf('- alert: SeccompProcessKilled'));
    const to = shipped.indexOf('        labels:', from);
    expect(from).toBeGreaterThan(0);
    const increaseOnly =
      shipped.slice(0, from) +
      'expr: sum by (container, image, profile, syscall, arch, action) (increase(seccomp_violations_total{action=~"KILL_PROCESS|KILL_THREAD"}[5m])) > 0\n' +
      shipped.slice(to);
    expect(increaseOnly).not.toBe(shipped);
    writeFileSync(join(dir, 'seccomp-alerts.yml'), increaseOnly);
    writeFileSync(
      join(dir, 'seccomp-alerts.test.yml'),
      readFileSync(join(DIR, 'seccomp-alerts.test.yml')),
    );
    expect(promtool(['check', 'rules', 'seccomp-alerts.yml'], dir).status).toBe(0);
    const r = promtool(['test', 'rules', 'seccomp-alerts.test.yml'], dir);
    expect(r.status).toBe(1);
    const out = r.stdout + r.stderr;
    // Each failure is one block: the alert and time, then what was expected and what came.
    const blocks = out.split(/(?=alertname: )/);
    const failedAt = (time: string, container: string): boolean =>
      blocks.some(
        (b) =>
          b.startsWith(`alertname: SeccompProcessKilled, time: ${time},`) &&
          (b.split('got:')[0] ?? '').includes(`container="${container}"`),
      );
    expect(failedAt('10m', 'born')).toBe(true);
    expect(failedAt('29m', 'restart-late')).toBe(true);
    expect(failedAt('29m', 'gap-grew')).toBe(true);
  });

  test('rewritten for --metric-prefix workspace_seccomp: the same rules check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-promtool-'));
    const text = readFileSync(join(DIR, 'seccomp-alerts.yml'), 'utf8').replace(
      /\bseccomp_/g,
      'workspace_seccomp_',
    );
    expect(text).toMatch(/workspace_seccomp_violations_total/);
    writeFileSync(join(dir, 'rules.yml'), text);
    const r = promtool(['check', 'rules', 'rules.yml'], dir);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
