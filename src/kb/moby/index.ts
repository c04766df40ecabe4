/**
 * moby's facts, in one place: the embedded default profile (the source of the Docker-status table and
 * the default archMap), Docker's default capabilities, moby's arch-name tables and the container
 * surface (default mounts, masked and read-only paths, device rules).
 */
export * from './default-profile.js';
export * from './arch.js';
export * from './caps.js';
export * from './container.js';
export * from './status.js';
