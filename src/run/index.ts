/** Real-runtime layer: sandboxes (bwrap, runc, crun, docker), the syscall prober, the sandboxed process runner. */
export * from './process.js';
export * from './native.js';
export * from './rootfs.js';
export * from './probe-format.js';
export * from './predict.js';
export * from './probe.js';
export * from './detect.js';
export * from './engines/bwrap.js';
export * from './engines/oci.js';
export * from './engines/docker.js';
export * from './engine-api.js';
