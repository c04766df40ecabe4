/** Classic BPF for seccomp: instructions, builder, validation, emulation, cache, listing, optimizer. */
export * from './errors.js';
export * from './seccomp.js';
export * from './instruction.js';
export * from './builder.js';
export * from './validate.js';
export * from './emulate.js';
export * from './analysis.js';
export * from './cache.js';
export * from './disasm.js';
export * from './asm.js';
export * from './optimize.js';
