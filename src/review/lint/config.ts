/**
 * Lint configuration: a YAML or JSON file `{rules: {ID: off|info|warn|warning|error}}` and
 * `--rule ID=SETTING` overrides, checked against the registry (an unknown id or setting is a usage
 * error naming it).
 */
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../document/errors.js';
import type { LintRule, RuleSetting } from './types.js';

/** Rule id -> setting. */
export type RuleSettings = Readonly<Record<string, RuleSetting>>;

/** Parse one setting word (`warn` is `warning`). */
export function parseSetting(text: string, where: string): RuleSetting {
  const t = text.trim().toLowerCase();
  if (t === 'warn') return 'warning';
  if (t === 'off' || t === 'info' || t === 'warning' || t === 'error') return t;
  throw new UsageError(`${where}: '${text}' is not a rule setting (off, info, warn, error)`);
}

function checkId(id: string, rules: readonly LintRule[], where: string): void {
  if (!rules.some((r) => r.meta.id === id))
    throw new UsageError(
      `${where}: no lint rule '${id}' (rules: ${rules.map((r) => r.meta.id).join(', ')})`,
      'unknown-rule',
    );
}

/** Parse a configuration file's text. */
export function parseLintConfig(
  text: string,
  file: string,
  rules: readonly LintRule[],
): RuleSettings {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new UsageError(
      `${file}: not YAML or JSON: ${e instanceof Error ? e.message : String(e)}`,
      'bad-config',
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new UsageError(`${file}: expected an object with a "rules" map`, 'bad-config');
  const extra = Object.keys(doc).filter((k) => k !== 'rules');
  if (extra.length > 0)
    throw new UsageError(
      `${file}: unknown key(s) ${extra.join(', ')} (only "rules")`,
      'bad-config',
    );
  const map = (doc as { rules?: unknown }).rules;
  if (map === undefined || map === null) return {};
  if (typeof map !== 'object' || Array.isArray(map))
    throw new UsageError(`${file}: "rules" must map rule ids to settings`, 'bad-config');
  const out: Record<string, RuleSetting> = {};
  for (const [id, v] of Object.entries(map as Record<string, unknown>)) {
    checkId(id, rules, `${file}: rules.${id}`);
    if (typeof v !== 'string')
      throw new UsageError(`${file}: rules.${id} must be off, info, warn or error`, 'bad-config');
    out[id] = parseSetting(v, `${file}: rules.${id}`);
  }
  return out;
}

/** Apply `--rule ID=SETTING` overrides on top of `base`. */
export function applyRuleOverrides(
  base: RuleSettings,
  overrides: readonly string[],
  rules: readonly LintRule[],
): RuleSettings {
  const out: Record<string, RuleSetting> = { ...base };
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UsageError(`--rule expects ID=off|info|warn|error, got '${o}'`);
    const id = o.slice(0, eq).trim();
    checkId(id, rules, '--rule');
    out[id] = parseSetting(o.slice(eq + 1), `--rule ${id}`);
  }
  return out;
}
