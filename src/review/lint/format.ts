/**
 * Lint output: text (FILE:LINE:COL: severity[rule]: message), JSON (`{"findings": [...]}`) and SARIF
 * 2.1.0 for GitHub code scanning (rules with help and helpUri, ruleIndex, partialFingerprints, regions).
 * Pure functions: the CLI prints what they return.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import type { Finding, LintRule, LintSeverity } from './types.js';

/** Where the rules' documentation pages live (`ID.md` is appended). */
export const RULE_DOCS_BASE = 'https://github.com/sysgate/sysgate/blob/main/docs/rules/';

/** One text line per finding. */
export function formatFindingText(f: Finding): string {
  const doc = f.document === undefined ? '' : ` [${f.document}]`;
  return `${f.file}:${f.line}:${f.column}: ${f.severity}[${f.rule}]: ${f.message} (at ${f.pointer === '' ? '/' : f.pointer})${doc}`;
}

/** The JSON output: `{"findings": [...]}` with the documented field names first. */
export function findingsJson(findings: readonly Finding[]): {
  findings: Record<string, unknown>[];
} {
  return {
    findings: findings.map((f) => ({
      file: f.file,
      rule: f.rule,
      severity: f.severity,
      pointer: f.pointer,
      line: f.line,
      column: f.column,
      message: f.message,
      ...(f.document === undefined ? {} : { document: f.document }),
      ...(f.abis === undefined ? {} : { abis: f.abis }),
      ...(f.syscalls === undefined ? {} : { syscalls: f.syscalls }),
      ...(f.fix === undefined ? {} : { fix: f.fix.description }),
    })),
  };
}

/** SARIF `level` of a severity. */
function level(s: LintSeverity): 'error' | 'warning' | 'note' {
  return s === 'info' ? 'note' : s;
}

/** GitHub's security-severity score of a severity (critical above 9.0, high 7.0-8.9, medium 4.0-6.9). */
function securitySeverity(s: LintSeverity): string {
  return s === 'error' ? '9.0' : s === 'warning' ? '5.5' : '2.0';
}

/** Options of {@link sarifLog}. */
export interface SarifOptions {
  /** sysgate's version. */
  readonly version: string;
  /** Directory file URIs are made relative to (`%SRCROOT%`), normally the repository root. */
  readonly root: string;
  /** Base of the rules' documentation URLs (default {@link RULE_DOCS_BASE}). */
  readonly docsBase?: string;
  /** Per-rule severity after configuration (default: the rule's). */
  readonly severities?: Readonly<Record<string, LintSeverity>>;
}

function artifact(file: string, root: string): { uri: string; uriBaseId?: string } {
  if (file === '-') return { uri: 'stdin' };
  const rel = isAbsolute(file) ? relative(root, file) : file;
  if (isAbsolute(rel) || rel.startsWith('..')) return { uri: new URL(`file://${file}`).href };
  return { uri: encodeURI(rel.split(sep).join('/')), uriBaseId: '%SRCROOT%' };
}

function fingerprint(f: Finding): string {
  const h = createHash('sha256');
  h.update(`${f.rule}\0${f.document ?? ''}\0${f.pointer}\0${f.message}`);
  return `${h.digest('hex').slice(0, 32)}:1`;
}

/** A SARIF 2.1.0 log of `findings`, every registered rule in the driver (so ruleIndex is stable). */
export function sarifLog(
  findings: readonly Finding[],
  rules: readonly LintRule[],
  opts: SarifOptions,
): Record<string, unknown> {
  const base = opts.docsBase ?? RULE_DOCS_BASE;
  const index = new Map(rules.map((r, i) => [r.meta.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sysgate',
            semanticVersion: opts.version,
            informationUri: 'https://github.com/sysgate/sysgate',
            rules: rules.map((r) => {
              const sev = opts.severities?.[r.meta.id] ?? r.meta.severity;
              return {
                id: r.meta.id,
                // SARIF wants a name different from the id (SARIF1001): SeccompSchema, SeccompSocketFamily.
                name: `Seccomp${r.meta.id
                  .split('-')
                  .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
                  .join('')}`,
                shortDescription: { text: r.meta.short },
                fullDescription: { text: r.meta.long },
                help: {
                  text: `${r.meta.long}\nSources: ${r.meta.sources.join(', ')}`,
                  markdown: `${r.meta.long}\n\nSources: ${r.meta.sources.map((s) => `\`${s}\``).join(', ')}\n\n[Rule documentation](${base}${r.meta.id}.md)`,
                },
                helpUri: `${base}${r.meta.id}.md`,
                defaultConfiguration: { level: level(sev) },
                properties: {
                  tags: r.meta.security ? ['security', 'seccomp'] : ['correctness', 'seccomp'],
                  precision: 'very-high',
                  ...(r.meta.security ? { 'security-severity': securitySeverity(sev) } : {}),
                },
              };
            }),
          },
        },
        automationDetails: { id: 'sysgate-lint/' },
        columnKind: 'unicodeCodePoints',
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? -1,
          level: level(f.severity),
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifact(f.file, opts.root),
                region: { startLine: f.line, startColumn: f.column },
              },
              logicalLocations: [
                { fullyQualifiedName: f.pointer === '' ? '/' : f.pointer, kind: 'element' },
              ],
            },
          ],
          partialFingerprints: { primaryLocationLineHash: fingerprint(f) },
        })),
      },
    ],
  };
}
