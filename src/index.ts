/** sysgate library API. */
export * from './document/index.js';
export * from './profile/types.js';
export * from './arch/types.js';
export * from './arch/index.js';
export * from './kb/index.js';
export * from './profile/index.js';
export * from './profile/resolve.js';
export * from './profile/convert/index.js';
export * from './bpf/index.js';
export * from './runc/index.js';
export * from './compile/index.js';
export * from './run/index.js';
export * from './generate/index.js';
export * from './run/suite-engine.js';
export * from './suite/index.js';
export * from './diagnose/index.js';
export * from './operate/index.js';
