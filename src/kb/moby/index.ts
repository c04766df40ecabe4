/**
 * moby's facts, in one place: the embedded default profile (the source of the Docker-status table and
 * the default archMap), Docker's default capabilities and moby's arch-name tables.
 */
export * from './default-profile.js';
export * from './arch.js';
export * from './caps.js';
export * from './status.js';
