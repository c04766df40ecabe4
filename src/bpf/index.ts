/** Classic BPF for seccomp: instructions, builder, validation, emulation, cache, listing, optimizer. */
export * from './seccomp.js';
export * from './instruction.js';
export * from './builder.js';
export * from './validate.js';
export * from './emulate.js';
