/** Running a profile in production: kernel-log violations and the phased rollout. */
export * from './violations.js';
export * from './rollout.js';
export * from './rollout-metrics.js';
export * from './rollout-fleet.js';
export * from './monitor.js';
export * from './monitor-sources.js';
