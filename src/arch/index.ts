/** Public API of the arch layer: arch records, syscall tables, multiplexers and symbolic constants. */
export * from './types.js';
export * from './arches.js';
export * from './syscalls.js';
export * from './constants.js';
export * from './host.js';
