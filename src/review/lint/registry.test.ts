/**
 * The meta-test: every registered rule has its docs page, its id is its file name, its case table is
 * non-empty on both sides, and every case goes through the real runner: a valid case draws no finding
 * of its rule, an invalid one draws a finding at each listed pointer, and a fixed case's `--fix` result
 * is the expected profile (checked by the diff to allow nothing more).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CASE_HOST, caseText } from './case-kit.js';
import { ruleDocPage, rulesIndexPage } from './docs.js';
import { applyFixes, fixesOf, lintText, type LintCase, type LintRule } from './index.js';
import { LINT_RULES } from './rules/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');

function run(rule: LintRule, c: LintCase) {
  const host = { ...CASE_HOST, ...c.host };
  const file = `${rule.meta.id}.json`;
  const r = lintText(caseText(c), file, { host, rules: [rule] });
  return { r, host, file };
}

describe('the rule registry', () => {
  test('ids are unique, sorted, and each is its file name', () => {
    const ids = LINT_RULES.map((r) => r.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const files = readdirSync(resolve(ROOT, 'src/review/lint/rules'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(files).toEqual(ids);
  });

  test.each(LINT_RULES.map((r) => [r.meta.id, r] as const))('%s: docs and metadata', (id, rule) => {
    const page = resolve(ROOT, 'docs/rules', `${id}.md`);
    expect(existsSync(page), `docs/rules/${id}.md`).toBe(true);
    expect(readFileSync(page, 'utf8'), 'run: npx tsx scripts/lint-docs.ts').toBe(ruleDocPage(rule));
    expect(rule.meta.short.length).toBeGreaterThan(10);
    expect(rule.meta.long.length).toBeGreaterThan(rule.meta.short.length);
    expect(rule.meta.sources.length).toBeGreaterThan(0);
    expect(rule.cases.valid.length).toBeGreaterThan(0);
    expect(rule.cases.invalid.length).toBeGreaterThan(0);
  });
});

test('docs/rules/README.md lists every rule', () => {
  expect(readFileSync(resolve(ROOT, 'docs/rules/README.md'), 'utf8')).toBe(
    rulesIndexPage(LINT_RULES),
  );
});

describe.each(LINT_RULES.map((r) => [r.meta.id, r] as const))('%s cases', (_id, rule) => {
  test.each(rule.cases.valid.map((c) => [c.name, c] as const))('valid: %s', (_n, c) => {
    const { r } = run(rule, c);
    expect(r.badInput).toBeUndefined();
    expect(r.findings).toEqual([]);
  });

  test.each(rule.cases.invalid.map((c) => [c.name, c] as const))('invalid: %s', (_n, c) => {
    const { r, host, file } = run(rule, c);
    expect(r.badInput).toBeUndefined();
    expect(r.findings.length).toBeGreaterThan(0);
    for (const f of r.findings) {
      expect(f.rule).toBe(rule.meta.id);
      expect(f.line).toBeGreaterThan(1);
    }
    const pointers = r.findings.map((f) => f.pointer);
    for (const p of c.pointers ?? []) expect(pointers).toContain(p);
    if (c.fixed !== undefined) {
      const fixed = applyFixes(caseText(c), file, fixesOf(r), host);
      expect(fixed.refused).toBeUndefined();
      expect(JSON.parse(fixed.text)).toEqual(c.fixed);
      expect(lintText(fixed.text, file, { host, rules: [rule] }).findings).toEqual([]);
    }
  });
});
