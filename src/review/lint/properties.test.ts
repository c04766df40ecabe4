/**
 * Properties of the runner over random profiles (fast-check): linting never throws, every finding
 * names a registered rule and a pointer that exists in the document, the JSON pointers' positions are
 * the parser's, and the rules' own fixes are never refused by the diff guard (they never let a call
 * run that the original refused) and leave nothing for the same rules to fix. Fixed seeds keep the
 * runs reproducible (the property found the ENOSYS-stub case of runc-dropped's fix).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readProfileSource } from '../../profile/parse.js';
import { CASE_HOST, compactJson } from './case-kit.js';
import { applyFixes } from './fix.js';
import { LINT_RULES, fixesOf, lintText } from './index.js';

const NAMES = [
  'read',
  'write',
  'getpid',
  'socket',
  'clone',
  'clone3',
  'mount',
  'unshare',
  'ptrace',
  'gettpid',
  'io_uring_setup',
  'pread64',
  'socketcall',
];
const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_LOG', 'SCMP_ACT_KILL_PROCESS'];
const OPS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

const condition = fc.record({
  index: fc.integer({ min: 0, max: 5 }),
  value: fc.constantFrom(0, 1, 2, 38, 40, 0x7e020000),
  valueTwo: fc.constantFrom(0, 1),
  op: fc.constantFrom(...OPS),
});
const rule = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }),
    action: fc.constantFrom(...ACTIONS),
    errnoRet: fc.option(fc.constantFrom(0, 1, 38), { nil: undefined }),
    args: fc.array(condition, { maxLength: 2 }),
  })
  .map((r) => ({
    names: r.names,
    action: r.action,
    ...(r.action === 'SCMP_ACT_ERRNO' && r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...(r.args.length === 0 ? {} : { args: r.args }),
  }));
const profile = fc.record({
  defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS'),
  architectures: fc.constantFrom(
    ['SCMP_ARCH_X86_64'],
    ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ),
  syscalls: fc.array(rule, { minLength: 1, maxLength: 5 }),
});

describe('lint over random profiles', () => {
  test('never throws; findings name registered rules at pointers the document has', () => {
    const ids = new Set(LINT_RULES.map((r) => r.meta.id));
    fc.assert(
      fc.property(profile, (p) => {
        const text = compactJson(p) + '\n';
        const r = lintText(text, 'p.json', { host: CASE_HOST, rules: LINT_RULES });
        expect(r.badInput).toBeUndefined();
        const doc = readProfileSource(text, 'p.json').documents[0];
        for (const f of r.findings) {
          expect(ids.has(f.rule)).toBe(true);
          expect(doc?.locate(f.pointer)).toEqual({ line: f.line, column: f.column });
        }
      }),
      { numRuns: 60, seed: 20261206 },
    );
  });

  test("the rules' fixes are never refused and leave nothing to fix", () => {
    fc.assert(
      fc.property(profile, (p) => {
        const text = compactJson(p) + '\n';
        const r = lintText(text, 'p.json', { host: CASE_HOST, rules: LINT_RULES });
        const fixes = fixesOf(r);
        if (fixes.length === 0) return;
        const fixed = applyFixes(text, 'p.json', fixes, CASE_HOST);
        expect(fixed.refused).toBeUndefined();
        const again = lintText(fixed.text, 'p.json', { host: CASE_HOST, rules: LINT_RULES });
        expect(fixesOf(again)).toEqual([]);
      }),
      { numRuns: 60, seed: 20261206 },
    );
  });
});
