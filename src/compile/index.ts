/** Public API of the compile layer. */
export * from './model.js';
export * from './codegen.js';
export * from './dispatch.js';
export * from './stats.js';
export * from './compile.js';
export * from './explain.js';
