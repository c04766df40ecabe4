/** Diagnosis above the engines: why a command fails under a profile (doctor), and what a live process loaded (inspect). */
export * from './doctor.js';
export * from './inspect.js';
export * from './filter-summary.js';
