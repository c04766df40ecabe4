/** Public API of lint: the runner, the rules, configuration, fixes and output formats. */
export * from './types.js';
export * from './runner.js';
export * from './config.js';
export * from './fix.js';
export * from './format.js';
export { lintContext } from './context.js';
export { LINT_RULES } from './rules/index.js';
