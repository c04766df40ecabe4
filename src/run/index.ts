/** Real-runtime layer: sandboxes (bwrap, runc, crun, docker), the syscall prober, process inspection. */
export * from './process.js';
export * from './native.js';
export * from './probe-format.js';
export * from './predict.js';
export * from './probe.js';
export * from './engines/bwrap.js';
