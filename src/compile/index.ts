/** Public API of the compile layer. */
export * from './model.js';
