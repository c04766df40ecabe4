/**
 * SARIF output checked by Microsoft's validator (`sarif-multitool validate`, npm
 * @microsoft/sarif-multitool) with both rule sets: the SARIF specification's and GitHub's ingestion
 * rules (`--rule-kind "Sarif;Gh"`): zero errors and zero warnings, on findings of every rule and on a
 * run with no finding.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CASE_HOST, caseText } from './case-kit.js';
import { sarifLog } from './format.js';
import { LINT_RULES, lintText, type Finding } from './index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysgate-sarif-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The validator's native binary (the npm wrapper re-splits arguments through a shell). */
const validator = createRequire(import.meta.url)('@microsoft/sarif-multitool-linux') as string;

interface Diagnostic {
  level?: string;
  ruleId: string;
  message: { text?: string; arguments?: string[] };
}

function validate(log: unknown, name: string): Diagnostic[] {
  const input = path.join(dir, `${name}.sarif`);
  const output = path.join(dir, `${name}.validation.sarif`);
  writeFileSync(input, JSON.stringify(log, null, 2));
  const r = spawnSync(validator, ['validate', '--rule-kind', 'Sarif;Gh', '-o', output, input], {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  expect(r.error).toBeUndefined();
  const report = JSON.parse(readFileSync(output, 'utf8')) as { runs: { results?: Diagnostic[] }[] };
  return report.runs.flatMap((run) => run.results ?? []);
}

describe('SARIF for GitHub code scanning', () => {
  // Every rule's invalid cases, linted as files under the source root.
  const findings: Finding[] = LINT_RULES.flatMap((rule) =>
    rule.cases.invalid.flatMap((c, i) => {
      const file = path.join(dir, 'src', `${rule.meta.id}-${i}.json`);
      return [
        ...lintText(caseText(c), file, { host: { ...CASE_HOST, ...c.host }, rules: LINT_RULES })
          .findings,
      ];
    }),
  );

  test('every rule reports something to validate', () => {
    expect(new Set(findings.map((f) => f.rule))).toEqual(new Set(LINT_RULES.map((r) => r.meta.id)));
  });

  test('the findings of every rule: no error or warning from the validator', () => {
    const log = sarifLog(findings, LINT_RULES, { version: '0.1.0', root: dir });
    const diags = validate(log, 'all');
    expect(diags.filter((d) => d.level !== 'note')).toEqual([]);
  });

  test('the log has what GitHub reads: helpUri, ruleIndex, fingerprints, regions, relative URIs', () => {
    const log = sarifLog(findings, LINT_RULES, { version: '0.1.0', root: dir }) as {
      runs: {
        tool: { driver: { rules: { id: string; helpUri: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          partialFingerprints: Record<string, string>;
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string; uriBaseId: string };
              region: { startLine: number };
            };
          }[];
        }[];
      }[];
    };
    const run = log.runs[0];
    expect(run).toBeDefined();
    if (run === undefined) return;
    for (const r of run.tool.driver.rules)
      expect(r.helpUri).toMatch(new RegExp(`/docs/rules/${r.id}\\.md$`));
    expect(run.results).toHaveLength(findings.length);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
      expect(Object.values(r.partialFingerprints)[0]).toMatch(/^[0-9a-f]{32}:1$/);
      const loc = r.locations[0]?.physicalLocation;
      expect(loc?.artifactLocation.uri).toMatch(/^src\/[a-z0-9-]+\.json$/);
      expect(loc?.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(loc?.region.startLine).toBeGreaterThan(1);
    }
  });

  test('a run with no finding validates too', () => {
    const diags = validate(sarifLog([], LINT_RULES, { version: '0.1.0', root: dir }), 'empty');
    expect(diags.filter((d) => d.level !== 'note')).toEqual([]);
  });
});
