/** The document layer: error base classes, JSON pointers, source positions and the issue collector. */
export * from './errors.js';
export * from './issues.js';
export * from './pointer.js';
export * from './source.js';
