/**
 * The rules' documentation pages, written from each rule's metadata and case table (the messages
 * shown are the runner's own output on the first invalid case), so a page never drifts from its rule.
 * `scripts/lint-docs.ts` writes them; the registry meta-test checks they are current.
 */
import { CASE_HOST, caseText } from './case-kit.js';
import { lintText } from './runner.js';
import type { LintCase, LintRule } from './types.js';

function block(c: LintCase): string {
  return ['```json', caseText(c).trimEnd(), '```'].join('\n');
}

/** The page `docs/rules/ID.md` of a rule. */
export function ruleDocPage(rule: LintRule): string {
  const m = rule.meta;
  const bad = rule.cases.invalid[0];
  const good = rule.cases.valid[0];
  const lines = [
    `# ${m.id}`,
    '',
    `**${m.short}.** Default severity: \`${m.severity}\`${m.security ? ' (security)' : ''}. Turn it off with \`--rule ${m.id}=off\`.`,
    '',
    m.long,
    '',
  ];
  if (bad !== undefined) {
    const file = `${m.id}.json`;
    const r = lintText(caseText(bad), file, { host: { ...CASE_HOST, ...bad.host }, rules: [rule] });
    lines.push(
      `## Reported: ${bad.name}`,
      '',
      block(bad),
      '',
      '```console',
      `$ sysgate lint ${file}`,
    );
    for (const f of r.findings)
      lines.push(
        `${f.file}:${f.line}:${f.column}: ${f.severity}[${f.rule}]: ${f.message} (at ${f.pointer})`,
      );
    lines.push('```', '');
    const fixes = r.findings.filter((f) => f.fix !== undefined);
    if (fixes.length > 0)
      lines.push(
        `\`--fix\`: ${[...new Set(fixes.map((f) => f.fix?.description ?? ''))].join('; ')} (applied only when the fixed filter allows nothing the original refused).`,
        '',
      );
  }
  if (good !== undefined) lines.push(`## Not reported: ${good.name}`, '', block(good), '');
  const more = [...rule.cases.invalid.slice(1), ...rule.cases.valid.slice(1)];
  if (more.length > 0) {
    lines.push('## More cases', '');
    for (const c of rule.cases.invalid.slice(1)) lines.push(`- reported: ${c.name}`);
    for (const c of rule.cases.valid.slice(1)) lines.push(`- not reported: ${c.name}`);
    lines.push('', `All cases: \`src/review/lint/rules/${m.id}.ts\`.`, '');
  }
  lines.push('## Sources', '', ...m.sources.map((s) => `- ${s}`), '');
  return lines.join('\n');
}

/** The index page `docs/rules/README.md`. */
export function rulesIndexPage(rules: readonly LintRule[]): string {
  return [
    '# Lint rules',
    '',
    'Written by `npx tsx scripts/lint-docs.ts` from the rules themselves (`src/review/lint/rules/`); do not edit by hand.',
    '',
    '| rule | severity | reports |',
    '| --- | --- | --- |',
    ...rules.map(
      (r) => `| [${r.meta.id}](${r.meta.id}.md) | ${r.meta.severity} | ${r.meta.short} |`,
    ),
    '',
  ].join('\n');
}
