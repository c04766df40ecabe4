/**
 * Write docs/rules/ID.md for every lint rule and docs/rules/README.md (the index), from the rules'
 * metadata and case tables. Run after adding or changing a rule: `npx tsx scripts/lint-docs.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ruleDocPage, rulesIndexPage } from '../src/review/lint/docs.js';
import { LINT_RULES } from '../src/review/lint/rules/index.js';

const dir = resolve(import.meta.dirname, '../docs/rules');
mkdirSync(dir, { recursive: true });
for (const rule of LINT_RULES) writeFileSync(resolve(dir, `${rule.meta.id}.md`), ruleDocPage(rule));
writeFileSync(resolve(dir, 'README.md'), rulesIndexPage(LINT_RULES));
process.stderr.write(`wrote ${LINT_RULES.length} rule pages and the index to docs/rules/\n`);
