/**
 * Diagnosis above the engines: why a command fails under a profile (doctor), whether a profile
 * still covers its re-recorded workload (drift), and what a live process loaded (inspect).
 */
export * from './doctor.js';
export * from './drift.js';
export * from './inspect.js';
export * from './filter-summary.js';
