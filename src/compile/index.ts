/**
 * Public API of the compile layer, by role: the libseccomp port behind one entry point
 * (libseccomp.ts), the plan (build.ts builds it, lift.ts lifts BPF to it, decide.ts decides on it),
 * and codegen (codegen.ts with dispatch.ts; compile.ts drives plan -> BPF), explain.
 */
export { libseccompProgram, type LibseccompOptions } from './libseccomp.js';
export * from './plan.js';
export * from './build.js';
export * from './lift.js';
export * from './decide.js';
export * from './codegen.js';
export * from './dispatch.js';
export * from './stats.js';
export * from './compile.js';
export * from './explain.js';
