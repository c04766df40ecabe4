/** Public API of the runc layer: runc's action mapping and rule handling, with each rule's fate. */
export * from './action.js';
export * from './rules.js';
export * from './check.js';
export { toC, type ToCOptions } from './c.js';
