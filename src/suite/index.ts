/** Test suites above the engines: suite files, running them, JUnit reports, the emulator cross-check. */
export * from './suite.js';
export * from './suite-run.js';
export * from './junit.js';
export * from './cross-check.js';
